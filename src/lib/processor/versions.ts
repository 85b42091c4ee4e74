import {type AttributeValue, type DynamoDBClient, PutItemCommand} from '@aws-sdk/client-dynamodb'

import {ITEM_CHANGES, type ItemChange, ITEM_METADATA, TABLE_KEY} from '#contract/pipeline-contract.js'
import {HISTORY_TABLE, historyItemKey} from '#contract/table.js'
import {isConditionalCheckFailed} from '#core/aws-responses.js'
import type {TypedValue} from '#record/typed-item.js'
import type {Notifier} from './notifier.js'
import type {ItemKey} from './results.js'

export type StoredItem = Record<string, AttributeValue>

/** Where earlier versions go, and for how long. */
export interface VersionStore {
  dynamodb: DynamoDBClient
  table: string
  historyTable: string
  historyRetentionSeconds: number
  now: () => Date
}

/**
 * What a change made from the CLI (`quarantine accept`, `items revert`) acts with: the target it writes to, where it
 * announces `replaced`, who makes it (the role session name; locally the role) and the clock.
 */
export interface ItemChangeContext<Target> {
  target: Target
  notifier: Notifier
  by?: string
  now?: () => Date
}

/** A new version made by `change` (accepted, reverted): the record and its source, stamped with how, when and by whom. */
export function changedItem(
  record: StoredItem,
  change: ItemChange,
  context: Pick<ItemChangeContext<unknown>, 'by'> & {at: Date},
): StoredItem {
  return {
    ...record,
    [ITEM_METADATA.ingestedAt]: {S: context.at.toISOString()},
    [ITEM_METADATA.change]: {S: ITEM_CHANGES[change]},
    ...(context.by ? {[ITEM_METADATA.changedBy]: {S: context.by}} : {}),
  }
}

/** An item's (or a record's) key: its ArtistID and ItemID. */
export const itemKeyOf = (item: Record<string, TypedValue | {S?: string}>): ItemKey => ({
  ArtistID: (item[TABLE_KEY.partition] as {S: string}).S,
  ItemID: (item[TABLE_KEY.sort] as {S: string}).S,
})

/** An item's version: ITEM_METADATA.version, or 1 for an item stored before items had versions. */
export const versionOf = (item: StoredItem): number => Number(item[ITEM_METADATA.version]?.N ?? '1')

/**
 * Makes `next` the item's new version, only if the stored item is still `current` (its version): two changes racing
 * from one version never both win, and a change based on an old version never overwrites a newer one. `current` is
 * first kept in the history (conditional: a version already kept there, by a racer or an earlier try, is the same
 * version, as only one write can ever make it), then the item is put conditional on its version. Two writes, so the
 * local DynamoDB (which has no transactions) runs the same code; a crash between them leaves a history record of the
 * version still current, which the next replacement finds already kept. `conflict`: the item changed meanwhile.
 */
export async function replaceVersion(
  store: VersionStore,
  current: StoredItem,
  next: StoredItem,
): Promise<'replaced' | 'conflict'> {
  const version = versionOf(current)
  const at = store.now()
  const key = historyItemKey(current[TABLE_KEY.partition].S!, current[TABLE_KEY.sort].S!)
  try {
    await store.dynamodb.send(
      new PutItemCommand({
        TableName: store.historyTable,
        Item: {
          ...current,
          [HISTORY_TABLE.partitionKey]: {S: key},
          [HISTORY_TABLE.sortKey]: {N: String(version)},
          [HISTORY_TABLE.attributes.expiresAt]: {
            N: String(Math.floor(at.getTime() / 1000) + store.historyRetentionSeconds),
          },
        },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: {'#key': HISTORY_TABLE.partitionKey},
      }),
    )
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error
  }
  try {
    await store.dynamodb.send(
      new PutItemCommand({
        TableName: store.table,
        Item: {...next, [ITEM_METADATA.version]: {N: String(version + 1)}},
        // An item stored before versions existed has none: it is version 1 until its first replacement.
        ConditionExpression:
          version === 1
            ? 'attribute_exists(#pk) AND (attribute_not_exists(#version) OR #version = :version)'
            : '#version = :version',
        ExpressionAttributeNames: {
          '#version': ITEM_METADATA.version,
          ...(version === 1 ? {'#pk': TABLE_KEY.partition} : {}),
        },
        ExpressionAttributeValues: {':version': {N: String(version)}},
      }),
    )
    return 'replaced'
  } catch (error) {
    if (isConditionalCheckFailed(error)) return 'conflict'
    throw error
  }
}
