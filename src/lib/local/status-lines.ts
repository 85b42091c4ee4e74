import {formatDuration} from '#core/duration.js'
import type {OutcomeCounts} from '#processor/metrics.js'
import type {Notification} from '#processor/notifier.js'
import type {DeadLetterRecord} from './dispatcher.js'
import {eventObjectKey} from '#processor/event.js'
import type {SetAsideObject} from './s3-files.js'
import type {LocalPipelineState} from './state.js'

/** One human line per notification, as `local start` prints them. */
export function notificationLine(notification: Notification): string {
  const time = notification.at.slice(11, 19)
  if (notification.outcome === 'stored')
    return `${time} stored      ${notification.sourceKey} → ${notification.item?.ArtistID} / ${notification.item?.ItemID}`
  if (notification.outcome === 'replaced')
    return `${time} replaced    ${notification.sourceKey} → ${notification.item?.ArtistID} / ${notification.item?.ItemID} (new version)`
  if (notification.outcome === 'unchanged')
    return `${time} unchanged   ${notification.sourceKey} = ${notification.item?.ArtistID} / ${notification.item?.ItemID} (already stored)`
  if (notification.outcome === 'batch') return `${time} batch       ${notification.message}`
  return `${time} quarantined ${notification.sourceKey} (${notification.reason}) → ${notification.quarantineKey}`
}

export function deadLetterLine(record: DeadLetterRecord): string {
  return `${record.at.slice(11, 19)} dead-letter ${eventObjectKey(record.event) ?? '(no object key)'} after ${record.attempts} attempt(s): ${record.error.name}: ${record.error.message}`
}

/** Where the local pipeline is, for people. */
export function stateLines(state: LocalPipelineState): string[] {
  return [
    `  S3 endpoint:       ${state.endpoints.s3}`,
    `  DynamoDB endpoint: ${state.endpoints.dynamodb}`,
    `  Processing bucket: ${state.processingBucket}`,
    `  Quarantine bucket: ${state.quarantineBucket}`,
    `  Table:             ${state.table}`,
    `  Outcomes table:    ${state.outcomesTable}`,
    `  Outbox:            ${state.outboxFile}`,
    `  Dead letters:      ${state.deadLetterFile}`,
    `  Data directory:    ${state.dataDir}`,
    `  Sweep:             every ${formatDuration(state.sweep.everySeconds)}, ` +
      `objects older than ${formatDuration(state.sweep.stuckAfterSeconds)}; ` +
      `${state.sweep.recovered} recovered, ${state.sweep.givenUp} given up`,
  ]
}

/**
 * What became of uploads since start, as the dashboard counts them on AWS, in the units each is counted in: records
 * (a single-record file is one, a batch counts each of its lines), then uploads (objects) for what happens to a whole
 * object. `local status` and the line `local start` prints when it stops both say it so.
 */
export function outcomesSummary(counts: OutcomeCounts): string {
  const reasons = Object.entries(counts.reasons).map(([reason, n]) => `${reason} ${n}`)
  return (
    `records ${counts.stored} stored, ${counts.replaced ? `${counts.replaced} replaced, ` : ''}` +
    `${counts.unchanged} unchanged, ` +
    `${counts.quarantined} quarantined${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}; ` +
    `uploads ${counts.skipped} skipped, ${counts.failed} failed tries, ${counts.recoveredBySweep} recovered by the sweep`
  )
}

export const outcomesLine = (counts: OutcomeCounts): string => `  Since start:       ${outcomesSummary(counts)}`

/** What start-up moved out of the buckets, and why that lost nothing. */
export function setAsideLines(setAside: SetAsideObject[], directory: string): string[] {
  if (setAside.length === 0) return []
  return [
    `Set aside ${setAside.length} half-written object(s) left by an interrupted run, in ${directory} (writes that never completed: their writers were not told they succeeded):`,
    ...setAside.map((object) => `  ${object.bucket}/${object.key}: ${object.why}`),
  ]
}
