import type {
  AttributeValue,
  BatchGetItemCommandOutput,
  DynamoDBClient,
  KeysAndAttributes,
} from '@aws-sdk/client-dynamodb'

import {TABLE_KEY} from '#contract/pipeline-contract.js'
import type {TypedItem} from '#record/typed-item.js'

/** BatchGetItem takes at most 100 keys a call. */
export const BATCH_GET_LIMIT = 100

/** Tries for keys that DynamoDB leaves unprocessed (it does so when throttled), with backoff from 50 ms to ~6 s. */
const MAX_TRIES = 8

export type StoredItem = Record<string, AttributeValue>

const keyValue = (item: Record<string, unknown>, name: string): string =>
  (item[name] as {S?: string} | undefined)?.S ?? ''

/** A record's (or stored item's) ArtistID + ItemID as one string, to find its stored item by. */
export const itemKeyOf = (item: Record<string, unknown>): string =>
  JSON.stringify([keyValue(item, TABLE_KEY.partition), keyValue(item, TABLE_KEY.sort)])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The stored items with the records' ArtistID + ItemID (at most BATCH_GET_LIMIT records), by itemKeyOf: one
 * BatchGetItem, and more for the keys DynamoDB leaves unprocessed, with exponential backoff and jitter. Keys still
 * unprocessed after that are left out: those records are sent, and the pipeline itself tells they are unchanged.
 */
export async function storedItemsFor(
  dynamodb: DynamoDBClient,
  table: string,
  records: TypedItem[],
  options: {pause?: (ms: number) => Promise<unknown>} = {},
): Promise<Map<string, StoredItem>> {
  const pause = options.pause ?? sleep
  const found = new Map<string, StoredItem>()
  // One key once: BatchGetItem refuses a request that names a key twice.
  const keys = new Map(
    records.map((record) => [
      itemKeyOf(record),
      {
        [TABLE_KEY.partition]: {S: keyValue(record, TABLE_KEY.partition)},
        [TABLE_KEY.sort]: {S: keyValue(record, TABLE_KEY.sort)},
      },
    ]),
  )
  if (keys.size === 0) return found
  const {BatchGetItemCommand} = await import('@aws-sdk/client-dynamodb')
  let request: Record<string, KeysAndAttributes> | undefined = {[table]: {Keys: [...keys.values()]}}
  for (let attempt = 0; request && attempt < MAX_TRIES; attempt++) {
    if (attempt > 0) await pause(50 * 2 ** (attempt - 1) * (0.5 + Math.random()))
    const response: BatchGetItemCommandOutput = await dynamodb.send(new BatchGetItemCommand({RequestItems: request}))
    for (const item of response.Responses?.[table] ?? []) found.set(itemKeyOf(item), item)
    request = response.UnprocessedKeys?.[table]?.Keys?.length ? response.UnprocessedKeys : undefined
  }
  return found
}
