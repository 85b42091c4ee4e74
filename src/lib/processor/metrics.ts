import type {CountedOutcome, QuarantineReason} from '#contract/pipeline-contract.js'
import type {ProcessResult} from './results.js'

/**
 * Where the processor counts what became of each upload (METRICS): CloudWatch metrics on AWS (lambda/processor.ts),
 * counts in memory locally (tallyOutcomes), where nothing is sent anywhere. `reason` comes with `quarantined` only.
 */
export interface OutcomeMetrics {
  count(outcome: CountedOutcome, amount: number, reason?: QuarantineReason): void
}

/** What the metrics have counted: uploads, or a batch's records. */
export interface OutcomeCounts extends Record<CountedOutcome, number> {
  /** Quarantined uploads and records by reason (they add up to `quarantined`). */
  reasons: Partial<Record<QuarantineReason, number>>
}

export const emptyOutcomeCounts = (): OutcomeCounts => ({
  stored: 0,
  replaced: 0,
  unchanged: 0,
  quarantined: 0,
  skipped: 0,
  failed: 0,
  recoveredBySweep: 0,
  reasons: {},
})

/**
 * What one processed upload counts as: one stored, replaced, unchanged, quarantined or skipped upload, or a finished batch's
 * records (a batch that stops at a checkpoint is counted when it finishes); and, found by the sweep, one recovered.
 * Like notifications, at least once: a finished batch delivered again before its object was removed counts again.
 */
export function countResult(metrics: OutcomeMetrics, result: ProcessResult, bySweep = false): void {
  if (result.outcome === 'quarantined') metrics.count('quarantined', 1, result.reason)
  else if (result.outcome === 'batch') {
    const {stored, replaced, unchanged, reasons} = result.counts
    if (stored > 0) metrics.count('stored', stored)
    if (replaced) metrics.count('replaced', replaced)
    if (unchanged > 0) metrics.count('unchanged', unchanged)
    for (const [reason, amount] of Object.entries(reasons) as [QuarantineReason, number][])
      if (amount > 0) metrics.count('quarantined', amount, reason)
  } else if (result.outcome !== 'continuing') metrics.count(result.outcome, 1)
  if (bySweep && result.outcome !== 'skipped') metrics.count('recoveredBySweep', 1)
}

/** Metrics kept as counts in memory: the local pipeline's (which `local status` shows), and the tests'. */
export function tallyOutcomes(): OutcomeMetrics & {counts: OutcomeCounts} {
  const counts = emptyOutcomeCounts()
  return {
    counts,
    count(outcome, amount, reason) {
      counts[outcome] += amount
      if (reason) counts.reasons[reason] = (counts.reasons[reason] ?? 0) + amount
    },
  }
}
