import {GetItemCommand} from '@aws-sdk/client-dynamodb'

import {type PipelineTarget, resource, versionStoreOf} from '#aws/clients.js'
import {ITEM_METADATA, TABLE_KEY} from '#contract/pipeline-contract.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {shellCommand} from '#core/shell-words.js'
import {replacedContent} from '#processor/notifier.js'
import {
  changedItem,
  type ItemChangeContext,
  itemKeyOf,
  replaceVersion,
  type StoredItem,
  versionOf,
} from '#processor/versions.js'
import {type AttributeChange, recordChanges} from '#record/changes.js'
import {checkRecord} from '#record/check-record.js'
import {deleteEntry, readEntryContent} from './actions.js'
import type {QuarantineEntry} from './entries.js'

/** What accepting a duplicate entry would do, read before anything is written. */
export interface AcceptPlan {
  entry: QuarantineEntry
  /** The stored item's key (absent when the entry's record could not be read as one). */
  item?: {ArtistID: string; ItemID: string}
  /** The item to store: the entry's record, with the pipeline's attributes of where it came from. */
  record?: StoredItem
  /** The item stored now (absent when none is). */
  stored?: StoredItem
  /** What changes from the stored item to the entry's record, attribute by attribute. */
  changes: AttributeChange[]
  /** The version of the stored item the entry was judged against, as the entry records it. */
  judgedVersion?: number
  /** The version stored now. */
  storedVersion?: number
  /** Why the plan cannot be applied, in one line; absent when it can. */
  conflict?: string
}

/** What applying a plan writes with: the target (tables, quarantine bucket), where `replaced` is told, and who acts. */
export type AcceptContext = ItemChangeContext<PipelineTarget> & {
  /** The flags that picked the target (`--local`...), for the command a conflict's hint prints. */
  shownTarget?: string[]
}

/**
 * The error of a plan that cannot be applied, or that lost its race: exit 1, code `Conflict`; the entry is kept.
 * `target` holds the flags that picked the target (`--local`...), for the command its hint prints.
 */
export function acceptConflict(entry: QuarantineEntry, reason: string, target: string[] = []): CliError {
  const show = shellCommand(['eventpulse', 'quarantine', 'show', entry.key, ...target])
  return new CliError(`Not accepted ${entry.key}: ${reason}.`, {
    exitCode: ExitCode.Negative,
    code: 'Conflict',
    hint: `The entry is kept. Compare it with what is stored now (${show}).`,
  })
}

async function storedItem(target: PipelineTarget, item: {ArtistID: string; ItemID: string}) {
  const {Item} = await target.dynamodb!.send(
    new GetItemCommand({
      TableName: resource(target, 'table'),
      Key: {[TABLE_KEY.partition]: {S: item.ArtistID}, [TABLE_KEY.sort]: {S: item.ItemID}},
      ConsistentRead: true,
    }),
  )
  return Item
}

/**
 * Reads a duplicate entry and the item stored under its key, and says what accepting it would change, or why it
 * cannot: the entry is not a duplicate, its record no longer passes the check, the item is gone, or the item changed
 * since the entry was judged against it. No writes.
 */
export async function planAccept(target: PipelineTarget, entry: QuarantineEntry): Promise<AcceptPlan> {
  const plan: AcceptPlan = {entry, changes: [], judgedVersion: entry.judgedVersion}
  if (entry.reason !== 'duplicate')
    return {...plan, conflict: `it is not a duplicate (quarantined as ${entry.reason ?? 'unknown'})`}
  const bytes = await readEntryContent(target.s3, resource(target, 'quarantineBucket'), entry)
  const check = checkRecord(bytes, entry.line === undefined ? {} : {line: entry.line})
  if (!check.ok) return {...plan, conflict: `its record no longer passes the check (${check.problems[0].message})`}
  const item = itemKeyOf(check.item)
  const record: StoredItem = {
    ...check.item,
    [ITEM_METADATA.sourceKey]: {S: entry.sourceKey},
    ...(entry.sourceEtag ? {[ITEM_METADATA.sourceEtag]: {S: entry.sourceEtag}} : {}),
    ...(entry.line === undefined ? {} : {[ITEM_METADATA.sourceLine]: {N: String(entry.line)}}),
  }
  const stored = await storedItem(target, item)
  if (!stored) return {...plan, item, record, conflict: 'the stored item is gone (deleted since it was judged)'}
  const storedVersion = versionOf(stored)
  const changes = recordChanges(stored, record)
  const judged = {...plan, item, record, stored, storedVersion, changes}
  if (entry.judgedVersion === undefined)
    return {...judged, conflict: 'the entry does not record which version of the stored item it was judged against'}
  if (entry.judgedVersion !== storedVersion)
    return {
      ...judged,
      conflict: `the stored item is version ${storedVersion}; this entry was judged against version ${entry.judgedVersion}`,
    }
  return judged
}

/**
 * Applies a plan: replaces the stored item with the entry's record, conditional on the item still being the version
 * the plan read (`replaceVersion`: the earlier version goes to the history), then notifies `replaced`, then deletes
 * the entry (as `quarantine rm` does: recoverable for the bucket's retention). Throws a `Conflict` (acceptConflict)
 * for a plan that cannot be applied or a race lost to another change; the entry is then kept. A crash after the
 * replacement leaves the entry, which a second accept refuses (the item is one version on): the item is never
 * replaced twice.
 */
export async function applyAccept(context: AcceptContext, plan: AcceptPlan): Promise<void> {
  const {entry, item, record, stored} = plan
  if (plan.conflict || !item || !record || !stored)
    throw acceptConflict(entry, plan.conflict ?? 'nothing to accept', context.shownTarget)
  const now = context.now ?? (() => new Date())
  const next = changedItem(record, 'accepted', {by: context.by, at: now()})
  const outcome = await replaceVersion(versionStoreOf(context.target, now), stored, next)
  if (outcome === 'conflict')
    throw acceptConflict(
      entry,
      `the stored item changed while accepting (it is no longer version ${plan.storedVersion}); nothing was replaced`,
      context.shownTarget,
    )
  const {target} = context
  await context.notifier.publish({
    ...replacedContent(`${entry.key} (a quarantined duplicate, accepted)`, item),
    bucket: resource(target, 'processingBucket'),
    sourceKey: entry.sourceKey,
    etag: entry.sourceEtag ?? '',
    quarantineBucket: resource(target, 'quarantineBucket'),
    quarantineKey: entry.key,
    at: now().toISOString(),
  })
  await deleteEntry(target.s3, resource(target, 'quarantineBucket'), entry)
}
