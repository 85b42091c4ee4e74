import type {
  AttributeValue,
  BatchGetItemCommandOutput,
  DynamoDBClient,
  KeysAndAttributes,
} from '@aws-sdk/client-dynamodb'

import {Readable} from 'node:stream'

import {MAX_BATCH_RECORDS} from '#contract/limits.js'
import {TABLE_KEY} from '#contract/pipeline-contract.js'
import {BatchCutShortError, batchLines} from '#record/batch-lines.js'
import {checkRecord} from '#record/check-record.js'
import {sameRecord} from '#record/same-record.js'
import {itemKeyOf, keyValue, type TypedItem} from '#record/typed-item.js'

/** BatchGetItem takes at most 100 keys a call. */
export const BATCH_GET_LIMIT = 100

/** Tries for keys that DynamoDB leaves unprocessed (it does so when throttled), with backoff from 50 ms to ~6 s. */
const MAX_TRIES = 8

export type StoredItem = Record<string, AttributeValue>

type LookUpOptions = {pause?: (ms: number) => Promise<unknown>}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The DynamoDB commands, loaded on the first look-up and kept: the look-ups of a batch file then start their calls
 * in the order they were made, at once, not each after a module import of its own.
 */
let dynamodbCommands: Promise<typeof import('@aws-sdk/client-dynamodb')> | undefined
const loadDynamodbCommands = () => (dynamodbCommands ??= import('@aws-sdk/client-dynamodb'))

/**
 * The stored items with the records' ArtistID + ItemID (at most BATCH_GET_LIMIT records), by itemKeyOf: one
 * BatchGetItem, and more for the keys DynamoDB leaves unprocessed, with exponential backoff and jitter. Keys still
 * unprocessed after that are left out: those records are sent, and the pipeline itself tells they are unchanged.
 */
export async function storedItemsFor(
  dynamodb: DynamoDBClient,
  table: string,
  records: TypedItem[],
  options: LookUpOptions = {},
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
  const {BatchGetItemCommand} = await loadDynamodbCommands()
  let request: Record<string, KeysAndAttributes> | undefined = {[table]: {Keys: [...keys.values()]}}
  for (let attempt = 0; request && attempt < MAX_TRIES; attempt++) {
    if (attempt > 0) await pause(50 * 2 ** (attempt - 1) * (0.5 + Math.random()))
    const response: BatchGetItemCommandOutput = await dynamodb.send(new BatchGetItemCommand({RequestItems: request}))
    for (const item of response.Responses?.[table] ?? []) found.set(itemKeyOf(item), item)
    request = response.UnprocessedKeys?.[table]?.Keys?.length ? response.UnprocessedKeys : undefined
  }
  return found
}

/** How many look-ups of one batch file may be under way at once, once its first window was found stored. */
export const BATCH_LOOK_UPS_AT_ONCE = 4

/**
 * How many records a batch file holds when every one of them is already stored exactly so (then sending it would
 * change nothing); undefined as soon as one is not, or a line is not a valid record, or the file cannot be read whole.
 * Looked up BATCH_GET_LIMIT records a call. The first call alone, so that a new file costs one call; once it found its
 * records stored, up to BATCH_LOOK_UPS_AT_ONCE calls at once (a million-line file that is all stored: 10,000 calls,
 * not one after another), stopping at the first that finds a record missing or different.
 */
export async function batchAlreadyStored(
  dynamodb: DynamoDBClient,
  table: string,
  body: Buffer,
  options: LookUpOptions & {gzip: boolean},
): Promise<number | undefined> {
  let window: TypedItem[] = []
  let records = 0
  let firstChecked = false
  const inFlight: Promise<boolean>[] = []
  const allStored = (batch: TypedItem[]) =>
    storedItemsFor(dynamodb, table, batch, options).then((stored) =>
      batch.every((record) => {
        const item = stored.get(itemKeyOf(record))
        return item !== undefined && sameRecord(record, item)
      }),
    )
  /** Looks the window up; false once a finished look-up found a record not stored (the oldest is awaited first). */
  const lookUpWindow = async () => {
    const looking = allStored(window)
    window = []
    if (!firstChecked) {
      firstChecked = true
      return looking
    }
    // Handled now, awaited later: a look-up that fails while an older one is awaited is not an unhandled rejection.
    looking.catch(() => undefined)
    inFlight.push(looking)
    return inFlight.length < BATCH_LOOK_UPS_AT_ONCE || (await inFlight.shift()!)
  }
  try {
    for await (const {line, bytes} of batchLines(Readable.from([body]), {
      gzip: options.gzip,
      expectedBytes: body.length,
    })) {
      const check = checkRecord(bytes, {line})
      if (!check.ok || ++records > MAX_BATCH_RECORDS) return undefined
      window.push(check.item)
      if (window.length === BATCH_GET_LIMIT && !(await lookUpWindow())) return undefined
    }
  } catch (error) {
    // Broken gzip, or past the record or text limit: the file cannot be read whole, so it is sent and the pipeline
    // quarantines the rest (not a failed upload).
    if (error instanceof BatchCutShortError) return undefined
    throw error
  }
  if (window.length > 0 && !(await lookUpWindow())) return undefined
  if (!(await Promise.all(inFlight)).every(Boolean)) return undefined
  return records > 0 ? records : undefined
}
