/** A record in DynamoDB's typed JSON, as the item schema admits it: strings, numbers and lists of them. */
export type TypedValue = {S: string} | {N: string} | {L: TypedValue[]}
export type TypedItem = Record<string, TypedValue>
