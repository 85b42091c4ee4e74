import type {Outcome, QuarantineReason} from '#contract/pipeline-contract.js'

// What the processor works on and what it returns: shared by the one-record and batch paths, the sweep and the local
// pipeline.

/**
 * One upload being processed: its identity (key + ETag; the processing bucket is not versioned, so no version id),
 * the sequencer its event carried, if any, and the release id when `quarantine release` put it back.
 */
export interface Upload {
  bucket: string
  key: string
  etag: string
  sequencer?: string
  releaseId?: string
  /** Who sent it, as the CLI wrote it (UPLOAD_METADATA): kept on the item as who made that version. */
  requestedBy?: string
}

export interface ItemKey {
  ArtistID: string
  ItemID: string
}

/**
 * Per invocation: how long it may still run (the Lambda context's remaining time), and a stop asked for (Ctrl-C of
 * `local start`). A batch stops at the next record for either, checkpoints and gives its lease up.
 */
export interface ProcessOptions {
  remainingTimeMs?: () => number
  stop?: AbortSignal
}

/**
 * What became of one upload. `unchanged`: the record is already stored exactly so, from another upload. `skipped`:
 * nothing left to do, because the object is no longer there (an event delivered again after the upload was fully
 * handled) or a newer upload replaced it (that upload has its own event); a batch another processor holds the lease
 * of (until `leaseExpiresAt`, epoch ms: the holder renews it while it lives), or one done and announced already.
 */
export type ProcessResult =
  | {outcome: 'stored'; key: string; item: ItemKey; alreadyStored: boolean}
  | {outcome: 'unchanged'; key: string; item: ItemKey}
  /** A replacement (REPLACE_PREFIX) made the item's new version; the earlier one is in the history table. */
  | {outcome: 'replaced'; key: string; item: ItemKey}
  | {
      outcome: 'quarantined'
      key: string
      reason: QuarantineReason
      message: string
      quarantineKey: string
      item?: ItemKey
    }
  /** `announced`: an earlier try of this upload reached that outcome; its notification was sent (again) now. */
  | {outcome: 'skipped'; key: string; why: 'gone' | 'superseded' | 'done'; announced?: Outcome | 'batch'}
  | {outcome: 'skipped'; key: string; why: 'leased'; leaseExpiresAt: number}
  /** A batch object, done: what became of its records. */
  | {outcome: 'batch'; key: string; etag: string; counts: BatchCounts}
  /** A batch object that ran out of time: its checkpoint says where the next try (redelivery, sweep) goes on. */
  | {outcome: 'continuing'; key: string; etag: string; nextLine: number; counts: BatchCounts}

/** What a conditional put of one record came to (before anything is notified or removed). */
export type PutOutcome =
  | {kind: 'stored'; item: ItemKey; alreadyStored: boolean}
  | {kind: 'unchanged'; item: ItemKey; stored: string}
  | {kind: 'replaced'; item: ItemKey}
  /** `version`: the stored item's, which the record was judged against (kept on the quarantine entry). */
  | {kind: 'duplicate'; item: ItemKey; stored: string; version: number}
  | {kind: 'too-large'; message: string}

/** What became of a batch's records so far (all lines before the checkpoint), or in all when it is done. */
export interface BatchCounts {
  /** Records (non-blank lines) done. */
  records: number
  stored: number
  /** Records that replaced a different stored one (a batch under REPLACE_PREFIX); absent when none did. */
  replaced?: number
  unchanged: number
  quarantined: number
  /** Quarantined records by reason. */
  reasons: Partial<Record<QuarantineReason, number>>
}

/** A problem as the batch's notification names it: where and why, never the record's values. */
export interface BatchProblemSummary {
  line: number
  path: string
  reason: QuarantineReason
}
