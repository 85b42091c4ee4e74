import type {AttributeValue} from '@aws-sdk/client-dynamodb'

import {type PipelineTarget, resource, versionStoreOf} from '#aws/clients.js'
import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
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
import {HISTORY_NAMES, itemVersions} from './history.js'

/** What reverting an item would do, read before anything is written. */
export interface RevertPlan {
  item: {ArtistID: string; ItemID: string}
  /** The version stored now, which the revert replaces (only if it is still the one stored). */
  currentVersion: number
  /** The kept version restored, as a new version. */
  toVersion: number
  current: StoredItem
  /** The item to store: the kept version's record and source. */
  restore: StoredItem
  /** What changes from the current version to the one restored. */
  changes: AttributeChange[]
}

/** The parts of a kept version that make it again: its record and where it came from, not how or when it was made. */
const KEPT_SOURCE: readonly string[] = [ITEM_METADATA.sourceKey, ITEM_METADATA.sourceEtag, ITEM_METADATA.sourceLine]
const METADATA_NAMES: ReadonlySet<string> = new Set(Object.values(ITEM_METADATA))

function recordAndSource(kept: Record<string, AttributeValue>): StoredItem {
  return Object.fromEntries(
    Object.entries(kept).filter(
      ([name]) => !HISTORY_NAMES.includes(name) && (!METADATA_NAMES.has(name) || KEPT_SOURCE.includes(name)),
    ),
  )
}

const notFound = (message: string, hint?: string) =>
  new CliError(message, {exitCode: ExitCode.Negative, code: 'NotFound', hint})

/**
 * Reads the item and its kept versions, and says what restoring version `to` (by default the one before the current)
 * would change. Throws NotFound (exit 1) when there is no such item or no such kept version. No writes.
 */
export async function planRevert(
  target: PipelineTarget,
  key: {artistId: string; itemId: string},
  to?: number,
): Promise<RevertPlan> {
  const name = `ArtistID "${key.artistId}", ItemID "${key.itemId}"`
  const versions = await itemVersions(target, key)
  if (!versions) throw notFound(`No item stored under ${name}.`)
  const [current, ...kept] = versions
  const currentVersion = versionOf(current)
  const toVersion = to ?? currentVersion - 1
  if (toVersion === currentVersion)
    throw notFound(`Version ${toVersion} of ${name} is the current one: nothing to revert.`)
  const restored = kept.find((version) => versionOf(version) === toVersion)
  if (!restored)
    throw notFound(
      kept.length === 0
        ? `${name} has no earlier version to revert to (it is version ${currentVersion}).`
        : `Version ${toVersion} of ${name} is not kept (kept: ${kept.map(versionOf).join(', ')}).`,
      'Its versions: eventpulse items history ARTIST ITEM.',
    )
  const restore = recordAndSource(restored)
  return {
    item: itemKeyOf(current),
    currentVersion,
    toVersion,
    current,
    restore,
    changes: recordChanges(current, restore),
  }
}

/**
 * Restores the plan's version as a new version (ITEM_CHANGES.reverted), conditional on the item still being the
 * version the plan read: a revert never overwrites a newer change (exit 1, code Conflict; nothing written). Then
 * notifies `replaced`.
 */
export async function applyRevert(context: ItemChangeContext<PipelineTarget>, plan: RevertPlan): Promise<void> {
  const now = context.now ?? (() => new Date())
  const next = changedItem(plan.restore, 'reverted', {by: context.by, at: now()})
  const {item, toVersion} = plan
  if ((await replaceVersion(versionStoreOf(context.target, now), plan.current, next)) === 'conflict')
    throw new CliError(
      `Not reverted ArtistID "${item.ArtistID}", ItemID "${item.ItemID}": it changed while reverting ` +
        `(it is no longer version ${plan.currentVersion}); nothing was replaced.`,
      {
        exitCode: ExitCode.Negative,
        code: 'Conflict',
        hint: 'See what changed (eventpulse items history), then revert again.',
      },
    )
  await context.notifier.publish({
    ...replacedContent(`A revert to version ${toVersion}`, item),
    bucket: resource(context.target, 'processingBucket'),
    sourceKey: plan.restore[ITEM_METADATA.sourceKey]?.S ?? '',
    etag: plan.restore[ITEM_METADATA.sourceEtag]?.S ?? '',
    at: now().toISOString(),
  })
}
