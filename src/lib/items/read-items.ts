import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb'

import {type PipelineTarget, resource} from '#aws/clients.js'
import {ITEM_METADATA, SELFTEST_ARTIST_ID, TABLE_KEY} from '#contract/pipeline-contract.js'
import {toPlainRecord} from '#record/normalise.js'
import type {TypedItem} from '#record/typed-item.js'

/** A stored item as `items` shows it: the record (plain JSON, or typed with --typed) and where it came from. */
export interface StoredItem {
  artistId: string
  itemId: string
  record: Record<string, unknown>
  sourceKey?: string
  ingestedAt?: string
}

const METADATA_NAMES = new Set<string>(Object.values(ITEM_METADATA))

/** Splits a stored item into the record as uploaded and the pipeline's metadata about it. */
export function storedItem(item: Record<string, AttributeValue>, options: {typed: boolean}): StoredItem {
  const record = Object.fromEntries(Object.entries(item).filter(([name]) => !METADATA_NAMES.has(name))) as TypedItem
  return {
    artistId: item[TABLE_KEY.partition]?.S ?? '',
    itemId: item[TABLE_KEY.sort]?.S ?? '',
    record: options.typed ? record : toPlainRecord(record),
    sourceKey: item[ITEM_METADATA.sourceKey]?.S,
    ingestedAt: item[ITEM_METADATA.ingestedAt]?.S,
  }
}

function tableOf(target: PipelineTarget): {dynamodb: DynamoDBClient; table: string} {
  if (!target.dynamodb) throw new Error('items need a target resolved with the table')
  return {dynamodb: target.dynamodb, table: resource(target, 'table')}
}

/** The item stored under ArtistID + ItemID, read consistently; undefined when there is none. */
export async function getItem(
  target: PipelineTarget,
  key: {artistId: string; itemId: string},
  options: {typed: boolean},
): Promise<StoredItem | undefined> {
  const {dynamodb, table} = tableOf(target)
  const {Item: item} = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: {[TABLE_KEY.partition]: {S: key.artistId}, [TABLE_KEY.sort]: {S: key.itemId}},
      ConsistentRead: true,
    }),
  )
  return item && storedItem(item, options)
}

export interface ListItemsOptions {
  /** One artist's items (a Query); without it the whole table is scanned. */
  artistId?: string
  /** Only ItemIDs starting with this (with artistId). */
  itemPrefix?: string
  /** At most this many items (0 or more). */
  limit?: number
  typed: boolean
}

/**
 * Stored items, page after page (DynamoDB pages stop at 1 MB), up to `limit`: one artist's by Query, optionally
 * narrowed to an ItemID prefix, or every item by Scan, which reads (and bills) the whole table.
 */
export async function* listItems(target: PipelineTarget, options: ListItemsOptions): AsyncGenerator<StoredItem> {
  const {dynamodb, table} = tableOf(target)
  const pages = options.artistId
    ? paginateQuery({client: dynamodb}, artistQuery(table, options.artistId, options.itemPrefix))
    : paginateScan({client: dynamodb}, catalogScan(table))
  if (options.limit === 0) return
  let count = 0
  for await (const page of pages)
    for (const item of page.Items ?? []) {
      yield storedItem(item, options)
      // Stops at once: a limit reached with the last item of a page reads no further page (up to 1 MB, billed).
      if (++count === options.limit) return
    }
}

/** The whole catalog but the canaries `selftest` stores for a moment (their own artist still lists them). */
function catalogScan(table: string): ScanCommandInput {
  return {
    TableName: table,
    FilterExpression: '#a <> :canary',
    ExpressionAttributeNames: {'#a': TABLE_KEY.partition},
    ExpressionAttributeValues: {':canary': {S: SELFTEST_ARTIST_ID}},
  }
}

function artistQuery(table: string, artistId: string, itemPrefix?: string): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: itemPrefix ? '#a = :a AND begins_with(#i, :p)' : '#a = :a',
    ExpressionAttributeNames: {'#a': TABLE_KEY.partition, ...(itemPrefix ? {'#i': TABLE_KEY.sort} : {})},
    ExpressionAttributeValues: {':a': {S: artistId}, ...(itemPrefix ? {':p': {S: itemPrefix}} : {})},
  }
}
