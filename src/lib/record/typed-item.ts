import {TABLE_KEY} from '#contract/pipeline-contract.js'

/** A record in DynamoDB's typed JSON, as the item schema admits it: strings, numbers and lists of them. */
export type TypedValue = {S: string} | {N: string} | {L: TypedValue[]}
export type TypedItem = Record<string, TypedValue>

/** A record's (or stored item's) string attribute `name`, '' where it has none. */
export const keyValue = (item: Record<string, unknown>, name: string): string =>
  (item[name] as {S?: string} | undefined)?.S ?? ''

/** A record's (or stored item's) ArtistID + ItemID as one string, to find its stored item (or its twin) by. */
export const itemKeyOf = (item: Record<string, unknown>): string =>
  JSON.stringify([keyValue(item, TABLE_KEY.partition), keyValue(item, TABLE_KEY.sort)])
