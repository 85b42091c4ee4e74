import {randomBytes} from 'node:crypto'

import {
  CANARY_ATTRIBUTE_VALUE,
  NOTIFICATION_ATTRIBUTES,
  type QuarantineReason,
  SELFTEST_ARTIST_ID,
  SELFTEST_PREFIX,
} from '#contract/pipeline-contract.js'
import type {Notification} from '#processor/notifier.js'
import type {BatchCounts} from '#processor/results.js'

/** Where a canary must end: stored as an item, quarantined for a reason, or a batch with these counts. */
export type CanaryEnd =
  | {kind: 'stored'; itemId: string}
  | {kind: 'quarantined'; reason: QuarantineReason}
  | {kind: 'batch'; storedItemId: string; stored: number; quarantined: number; reason: QuarantineReason}

export interface Canary {
  /** For the report: `stored canary`, `quarantined canary`, `batch canary`. */
  name: string
  key: string
  body: string
  end: CanaryEnd
}

/** A run's id: its time and a random part, so runs never share a key or an ItemID. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replaceAll(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`
}

const record = (fields: Record<string, unknown>) => JSON.stringify({ArtistID: SELFTEST_ARTIST_ID, ...fields})

/**
 * The run's three uploads, all under SELFTEST_PREFIX and the reserved ArtistID: a valid record, one the schema refuses
 * (a Year that is not a number), and a batch of one of each.
 */
export function canariesOf(runId: string): Canary[] {
  const key = (name: string) => `${SELFTEST_PREFIX}${runId}/${name}`
  const storedItemId = `TRACK#selftest-${runId}`
  const batchItemId = `TRACK#selftest-${runId}-batch`
  return [
    {
      name: 'stored canary',
      key: key('stored.json'),
      body: record({ItemID: storedItemId, Title: 'EventPulse selftest'}),
      end: {kind: 'stored', itemId: storedItemId},
    },
    {
      name: 'quarantined canary',
      key: key('quarantined.json'),
      body: record({ItemID: `TRACK#selftest-${runId}-quarantined`, Year: 'not a year'}),
      end: {kind: 'quarantined', reason: 'schema'},
    },
    {
      name: 'batch canary',
      key: key('batch.ndjson'),
      body: `${record({ItemID: batchItemId})}\n${record({ItemID: `TRACK#selftest-${runId}-bad`, Year: 'never'})}\n`,
      end: {kind: 'batch', storedItemId: batchItemId, stored: 1, quarantined: 1, reason: 'schema'},
    },
  ]
}

/** The ItemIDs a run may have stored (to remove them). */
export const storedItemIds = (canaries: Canary[]): string[] =>
  canaries.flatMap(({end}) => (end.kind === 'stored' ? [end.itemId] : end.kind === 'batch' ? [end.storedItemId] : []))

/** What a batch canary's outcome must count. */
export function batchCountsHold(end: Extract<CanaryEnd, {kind: 'batch'}>, counts: BatchCounts | undefined): boolean {
  return counts?.stored === end.stored && counts.quarantined === end.quarantined && counts.reasons[end.reason] === 1
}

/** One notification as received: the message, and the SNS message attributes where there are any (not locally). */
export interface ReceivedNotification {
  notification: Notification
  attributes?: Record<string, string>
}

/**
 * What is wrong with a canary's notification (undefined when nothing is): its outcome, its item or counts, the
 * canary mark, and on AWS the attributes subscriptions filter on.
 */
export function notificationProblem(
  canary: Canary,
  {notification, attributes}: ReceivedNotification,
): string | undefined {
  const {end} = canary
  if (!notification.canary) return 'it is not marked as a canary'
  const expected = end.kind
  if (notification.outcome !== expected) return `its outcome is ${notification.outcome}, not ${expected}`
  if (end.kind === 'stored' && notification.item?.ItemID !== end.itemId) return 'it names another item'
  if (end.kind === 'quarantined' && notification.reason !== end.reason)
    return `its reason is ${notification.reason}, not ${end.reason}`
  if (end.kind === 'batch' && !batchCountsHold(end, notification.batch?.counts)) return 'its counts are wrong'
  if (!attributes) return undefined
  const wanted: Record<string, string> = {
    [NOTIFICATION_ATTRIBUTES.canary]: CANARY_ATTRIBUTE_VALUE,
    ...(end.kind === 'batch'
      ? {
          [NOTIFICATION_ATTRIBUTES.kind]: 'batch',
          [NOTIFICATION_ATTRIBUTES.outcome]: JSON.stringify(['stored', 'quarantined']),
          [NOTIFICATION_ATTRIBUTES.reason]: JSON.stringify([end.reason]),
        }
      : {[NOTIFICATION_ATTRIBUTES.outcome]: end.kind}),
    ...(end.kind === 'quarantined' ? {[NOTIFICATION_ATTRIBUTES.reason]: end.reason} : {}),
  }
  const wrong = Object.entries(wanted).filter(([name, value]) => attributes[name] !== value)
  return wrong.length > 0
    ? `its message attributes ${wrong.map(([name]) => name).join(', ')} are not ${wrong.map(([, value]) => value).join(', ')}`
    : undefined
}
