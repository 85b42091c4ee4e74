import {type AttributeValue, GetItemCommand, paginateQuery} from '@aws-sdk/client-dynamodb'

import {type PipelineTarget, resource} from '#aws/clients.js'
import {ITEM_CHANGES, ITEM_METADATA, TABLE_KEY} from '#contract/pipeline-contract.js'
import {HISTORY_TABLE, historyItemKey} from '#contract/table.js'
import {type AttributeChange, recordChanges} from '#record/changes.js'
import {versionOf} from '#processor/versions.js'

/** One version of an item, as `items history` shows it. */
export interface ItemVersion {
  version: number
  /** The version now stored (the rest are kept in the history table). */
  current: boolean
  /** How it came: stored (a first upload), replaced (an upload under replace/), accepted (a duplicate), reverted. */
  change: string
  /** When it was made. */
  at?: string
  /** What made it: the upload (key, ETag, line of a batch). */
  source?: {key: string; etag?: string; line?: number}
  /** Who made it, where known: the role session name; locally the role. */
  by?: string
  /** What changed from the version before it (empty for the first). */
  changes: AttributeChange[]
}

/** What the history table adds to a kept version: not the item's. */
export const HISTORY_NAMES: readonly string[] = Object.values({
  partitionKey: HISTORY_TABLE.partitionKey,
  sortKey: HISTORY_TABLE.sortKey,
  ...HISTORY_TABLE.attributes,
})

function describe(item: Record<string, AttributeValue>, current: boolean): Omit<ItemVersion, 'changes'> {
  const sourceKey = item[ITEM_METADATA.sourceKey]?.S
  const line = item[ITEM_METADATA.sourceLine]?.N
  return {
    version: versionOf(item),
    current,
    change: item[ITEM_METADATA.change]?.S ?? ITEM_CHANGES.stored,
    at: item[ITEM_METADATA.ingestedAt]?.S,
    source: sourceKey
      ? {key: sourceKey, etag: item[ITEM_METADATA.sourceEtag]?.S, ...(line ? {line: Number(line)} : {})}
      : undefined,
    by: item[ITEM_METADATA.changedBy]?.S,
  }
}

/** The stored item and its kept versions, newest first (undefined when no item is stored under the key). */
export async function itemVersions(
  target: PipelineTarget,
  key: {artistId: string; itemId: string},
): Promise<Record<string, AttributeValue>[] | undefined> {
  if (!target.dynamodb) throw new Error('items history needs a target resolved with the tables')
  const {Item: current} = await target.dynamodb.send(
    new GetItemCommand({
      TableName: resource(target, 'table'),
      Key: {[TABLE_KEY.partition]: {S: key.artistId}, [TABLE_KEY.sort]: {S: key.itemId}},
      ConsistentRead: true,
    }),
  )
  if (!current) return undefined
  const kept: Record<string, AttributeValue>[] = []
  const pages = paginateQuery(
    {client: target.dynamodb},
    {
      TableName: resource(target, 'historyTable'),
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: {'#key': HISTORY_TABLE.partitionKey},
      ExpressionAttributeValues: {':key': {S: historyItemKey(key.artistId, key.itemId)}},
      ScanIndexForward: false,
      ConsistentRead: true,
    },
  )
  for await (const page of pages) kept.push(...(page.Items ?? []))
  // A version kept by a replacement that then lost its race (or has not finished) is the current one: shown once.
  return [current, ...kept.filter((item) => versionOf(item) < versionOf(current))]
}

/** The item's versions newest first, each with what changed from the one before it. */
export async function itemHistory(
  target: PipelineTarget,
  key: {artistId: string; itemId: string},
): Promise<ItemVersion[] | undefined> {
  const versions = await itemVersions(target, key)
  return versions?.map((item, index) => {
    const before = versions[index + 1]
    return {
      ...describe(item, index === 0),
      changes: before ? recordChanges(before, item, HISTORY_NAMES) : [],
    }
  })
}
