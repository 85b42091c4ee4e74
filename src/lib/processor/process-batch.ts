import {randomUUID} from 'node:crypto'

import {type AttributeValue, type DynamoDBClient, UpdateItemCommand} from '@aws-sdk/client-dynamodb'

import {MAX_BATCH_RECORDS} from '#contract/limits.js'
import {isReplaceKey, type Outcome, type QuarantineReason} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {isConditionalCheckFailed} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {retryTransient} from '#core/retry.js'
import {type BatchLine, batchLines, UnreadableBatchError} from '#record/batch-lines.js'
import {pastRecordLimit} from '#record/check-batch.js'
import {checkRecord} from '#record/check-record.js'
import type {TypedItem} from '#record/typed-item.js'
import {isGzipName} from '#contract/batch-names.js'
import type {NotificationContent} from './notifier.js'
import {describeProblems} from './problems.js'
import type {BatchCounts, BatchProblemSummary, ProcessOptions, ProcessResult, PutOutcome, Upload} from './results.js'

/** The single-record steps of the processor a batch reuses for each of its lines (ObjectProcessor provides them). */
export interface BatchSteps {
  /** `replace`: the batch is a replacement (REPLACE_PREFIX), so a different stored record is replaced. */
  putRecord(upload: Upload, record: TypedItem, line: number, replace: boolean): Promise<PutOutcome>
  writeEntry(
    upload: Upload,
    bytes: Uint8Array,
    reason: QuarantineReason,
    message: string,
    line: number,
    /** A `duplicate`'s: the version of the stored item it was judged against. */
    judgedVersion?: number,
  ): Promise<string>
  copyEntry(
    upload: Upload,
    reason: QuarantineReason,
    message: string,
    line: number,
  ): Promise<{target: string; skipped?: 'gone' | 'superseded'}>
  notify(upload: Upload, content: NotificationContent): Promise<void>
  removeOriginal(upload: Upload): Promise<void>
}

/** What a batch needs of the processor's dependencies: its progress lives in the outcomes table. */
export interface BatchDeps {
  dynamodb: DynamoDBClient
  outcomesTable: string
  quarantineBucket: string
  batch?: Partial<BatchSettings>
}

export interface BatchSettings {
  /** Records in flight at once: bounded, so DynamoDB throttling is met by the SDK's retries with backoff. */
  parallelism: number
  /** Lines done between checkpoints (a crash redoes at most this many, idempotently). */
  linesPerCheckpoint: number
  /** How long a lease holds without being renewed (each checkpoint renews it). */
  leaseMs: number
  /** Stop and checkpoint when less time than this remains in the invocation. */
  stopMarginMs: number
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = {
  parallelism: 16,
  linesPerCheckpoint: 1000,
  leaseMs: 5 * 60_000,
  stopMarginMs: 15_000,
}

/** First problems kept for the notification, `status` and `upload --wait`; the counts cover the rest. */
const PROBLEMS_KEPT = 10

type LineResult =
  | {outcome: 'stored' | 'replaced' | 'unchanged'}
  | {outcome: 'quarantined'; reason: QuarantineReason; problem: BatchProblemSummary}

interface Progress {
  nextLine: number
  counts: BatchCounts
  problems: BatchProblemSummary[]
}

const emptyCounts = (): BatchCounts => ({records: 0, stored: 0, unchanged: 0, quarantined: 0, reasons: {}})

class LeaseLostError extends Error {
  name = 'LeaseLostError'
}

/**
 * A batch object: many records, one per line, each taken through the same steps as a one-record object (the record
 * check, the conditional put with the same-upload rule, a quarantine entry that never replaces), the "upload" of a
 * record being the object's key + ETag + its line. So any retry, redelivery or sweep of the batch finds its own lines
 * again: stored lines are `alreadyStored`, quarantined lines land on the same entry, nothing is a false duplicate.
 *
 * Progress is kept in the outcomes table under the batch's key + ETag: a checkpoint (the first line not done, with the
 * counts so far) and a lease. Whoever re-delivers the batch (the event again, the sweeper, a re-invocation) goes
 * through `process` and continues from the checkpoint, skipping the lines before it; while another processor holds an
 * unexpired lease it steps aside (`skipped`, `leased`). The lease only saves work: correctness rests on the
 * idempotent steps, so two processors overlapping after a lease expired still give one item or entry per line.
 * Lines are done a checkpoint's worth at a time, `parallelism` in flight; once done, the final counts are recorded
 * (`Outcome` = `batch`), one notification sent, and the object removed.
 */
export class BatchProcessor {
  private readonly settings: BatchSettings

  constructor(
    private readonly deps: BatchDeps,
    private readonly now: () => Date,
    private readonly steps: BatchSteps,
  ) {
    this.settings = {...DEFAULT_BATCH_SETTINGS, ...deps.batch}
  }

  async process(
    upload: Upload,
    body: AsyncIterable<Uint8Array> & {destroy?: () => void},
    size: number | undefined,
    options: ProcessOptions,
  ): Promise<ProcessResult> {
    const owner = randomUUID()
    const state = await this.acquire(upload, owner)
    if (!state || state.done) body.destroy?.()
    if (!state) return {outcome: 'skipped', key: upload.key, why: 'leased'}
    if (state.done) return this.finish(upload, state)
    try {
      return await this.processLines(upload, {body, size}, owner, state, options)
    } catch (error) {
      body.destroy?.()
      // Let the retry of this invocation go on at once, rather than wait for the lease to expire. (After a lost lease
      // this changes nothing: only the lease's owner may update the batch's record.)
      await this.release(upload, owner).catch(() => {})
      throw error
    }
  }

  private async processLines(
    upload: Upload,
    {body, size}: {body: AsyncIterable<Uint8Array> & {destroy?: () => void}; size?: number},
    owner: string,
    progress: Progress,
    options: ProcessOptions,
  ): Promise<ProcessResult> {
    let window: (BatchLine & {record: number})[] = []
    let record = 0
    try {
      // Lines before the checkpoint are read (a stream cannot skip) but not done again.
      for await (const line of batchLines(body, {gzip: isGzipName(upload.key), expectedBytes: size})) {
        record++
        if (line.line < progress.nextLine) continue
        window.push({...line, record})
        if (window.length < this.settings.linesPerCheckpoint) continue
        await this.runWindow(upload, window, progress)
        window = []
        const outOfTime = (options.remainingTimeMs?.() ?? Infinity) < this.settings.stopMarginMs
        await this.checkpoint(upload, owner, progress, outOfTime)
        if (outOfTime) {
          body.destroy?.()
          const {nextLine, counts} = progress
          return {outcome: 'continuing', key: upload.key, etag: upload.etag, nextLine, counts}
        }
      }
    } catch (error) {
      if (!(error instanceof UnreadableBatchError)) throw error
      // The lines read are done; the rest cannot be read, so the whole object is quarantined as the entry of the
      // first line lost (an admin fixes the file and uploads it again: lines stored now are then `unchanged`).
      await this.runWindow(upload, window, progress)
      window = []
      const copied = await this.steps.copyEntry(upload, 'invalid-json', error.message, error.line)
      if (copied.skipped) return {outcome: 'skipped', key: upload.key, why: copied.skipped}
      addLine(progress, {
        outcome: 'quarantined',
        reason: 'invalid-json',
        problem: {line: error.line, path: '', reason: 'invalid-json'},
      })
    }
    await this.runWindow(upload, window, progress)
    progress.nextLine = Number.MAX_SAFE_INTEGER
    await this.complete(upload, owner, progress)
    return this.finish(upload, progress)
  }

  /**
   * Does a window of lines, `parallelism` at a time, and adds them to the progress in line order. A line that fails
   * transiently (after the SDK's own retries) is tried again on its own, as each line is idempotent: one unlucky call
   * among thousands must not restart the window. A line that still fails fails the window, and the lines not started
   * yet are not started.
   */
  private async runWindow(upload: Upload, window: (BatchLine & {record: number})[], progress: Progress) {
    if (window.length === 0) return
    let failed: unknown
    const results = await mapConcurrently(window, this.settings.parallelism, async (line) => {
      if (failed) throw failed
      try {
        return await retryTransient(() => this.processLine(upload, line), {attempts: 3, delayMs: 100})
      } catch (error) {
        failed ??= error
        throw error
      }
    })
    for (const result of results) addLine(progress, result)
    progress.nextLine = window[window.length - 1].line + 1
  }

  private async processLine(upload: Upload, {line, bytes, record}: BatchLine & {record: number}): Promise<LineResult> {
    const quarantine = async (
      reason: QuarantineReason,
      message: string,
      path = '',
      judgedVersion?: number,
    ): Promise<LineResult> => {
      await this.steps.writeEntry(upload, bytes, reason, message, line, judgedVersion)
      return {outcome: 'quarantined', reason, problem: {line, path, reason}}
    }
    if (record > MAX_BATCH_RECORDS) return quarantine('too-large', pastRecordLimit(record))
    const check = checkRecord(bytes, {line})
    if (!check.ok)
      return quarantine(check.reason, describeProblems(check.reason, check.problems).message, check.problems[0]?.path)
    const put = await this.steps.putRecord(upload, check.item, line, isReplaceKey(upload.key))
    if (put.kind === 'stored' || put.kind === 'replaced') return {outcome: put.kind}
    if (put.kind === 'unchanged') return {outcome: 'unchanged'}
    return put.kind === 'duplicate'
      ? quarantine('duplicate', put.stored, '', put.version)
      : quarantine('too-large', put.message)
  }

  /**
   * Takes the lease on the batch (key + ETag) unless another processor holds an unexpired one, and returns its
   * progress: a checkpoint to continue from, or the final counts of a batch already done (then only the notification
   * and the removal may be left). Undefined when the lease is another's.
   */
  private async acquire(upload: Upload, owner: string): Promise<(Progress & {done: boolean}) | undefined> {
    const {attributes} = OUTCOMES_TABLE
    const now = this.now().getTime()
    try {
      const {Attributes = {}} = await this.deps.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.deps.outcomesTable,
          Key: outcomeKey(upload),
          UpdateExpression: 'SET #owner = :owner, #until = :until, #expires = if_not_exists(#expires, :expires)',
          // Our own lease too: a retry of this very call, whose first answer was lost, finds it taken by us.
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :now OR #owner = :owner',
          ExpressionAttributeNames: {
            '#owner': attributes.leaseOwner,
            '#until': attributes.leaseExpiresAt,
            '#expires': attributes.expiresAt,
          },
          ExpressionAttributeValues: {
            ':owner': {S: owner},
            ':until': {N: String(now + this.settings.leaseMs)},
            ':now': {N: String(now)},
            ':expires': {N: String(Math.floor(now / 1000) + OUTCOMES_TABLE.retentionSeconds)},
          },
          ReturnValues: 'ALL_NEW',
        }),
      )
      return progressOf(Attributes)
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined
      throw error
    }
  }

  /** Records the progress and renews the lease, or gives it up (`release`) when stopping for a later try. */
  private checkpoint(upload: Upload, owner: string, progress: Progress, release: boolean) {
    const until = release ? 0 : this.now().getTime() + this.settings.leaseMs
    return this.update(upload, owner, 'SET #next = :next, #counts = :counts, #problems = :problems, #until = :until', {
      ...this.progressValues(progress),
      ':until': {N: String(until)},
    })
  }

  /** The batch is done: final counts recorded for `status` and `upload --wait`, the lease given up. */
  private complete(upload: Upload, owner: string, progress: Progress) {
    return this.update(
      upload,
      owner,
      'SET #next = :next, #counts = :counts, #problems = :problems, #outcome = :batch, #at = :at REMOVE #until',
      {...this.progressValues(progress), ':batch': {S: 'batch'}, ':at': {S: this.now().toISOString()}},
    )
  }

  /** Gives the lease up after a failure, so that the retry need not wait for it to expire. */
  private release(upload: Upload, owner: string) {
    return this.update(upload, owner, 'SET #until = :until', {':until': {N: '0'}})
  }

  private progressValues(progress: Progress): Record<string, AttributeValue> {
    return {
      ':next': {N: String(progress.nextLine)},
      ':counts': {S: JSON.stringify(progress.counts)},
      ':problems': {S: JSON.stringify(progress.problems)},
    }
  }

  /** An update of the batch's record that only the lease's owner may make; another owner means the lease was lost. */
  private async update(upload: Upload, owner: string, expression: string, values: Record<string, AttributeValue>) {
    const {attributes} = OUTCOMES_TABLE
    const names: Record<string, string> = {
      '#owner': attributes.leaseOwner,
      '#next': attributes.nextLine,
      '#counts': attributes.counts,
      '#problems': attributes.problems,
      '#until': attributes.leaseExpiresAt,
      '#outcome': attributes.outcome,
      '#at': attributes.at,
    }
    const used = Object.fromEntries(
      Object.entries(names).filter(([name]) => name === '#owner' || expression.includes(name)),
    )
    try {
      await this.deps.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.deps.outcomesTable,
          Key: outcomeKey(upload),
          UpdateExpression: expression,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: used,
          ExpressionAttributeValues: {...values, ':owner': {S: owner}},
        }),
      )
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
      throw new LeaseLostError(`${upload.key}: another processor took over the batch (its lease had expired)`)
    }
  }

  /** One notification for the whole batch (again on a retry: at least once), then the object removed. */
  private async finish(upload: Upload, progress: Progress): Promise<ProcessResult> {
    await this.notifyDone(upload, progress)
    await this.steps.removeOriginal(upload)
    return {outcome: 'batch', key: upload.key, etag: upload.etag, counts: progress.counts}
  }

  /** A done batch whose object is gone (see ObjectProcessor): its one notification again, from its outcome record. */
  announce(upload: Upload, record: Record<string, AttributeValue>): Promise<void> {
    return this.notifyDone(upload, progressOf(record))
  }

  private async notifyDone(upload: Upload, {counts, problems}: Progress): Promise<void> {
    const outcomes = (['stored', 'replaced', 'unchanged', 'quarantined'] as const).filter(
      (outcome) => (counts[outcome] ?? 0) > 0,
    )
    const reasons = Object.keys(counts.reasons) as QuarantineReason[]
    const replaced = counts.replaced ? `${counts.replaced} replaced, ` : ''
    await this.steps.notify(upload, {
      outcome: 'batch',
      subject: `EventPulse: batch ${replaced}${counts.stored} stored, ${counts.unchanged} unchanged, ${counts.quarantined} quarantined`,
      message:
        `${upload.key}: ${counts.records} records, ${replaced}${counts.stored} stored, ${counts.unchanged} unchanged ` +
        `(already stored), ${counts.quarantined} quarantined` +
        (counts.quarantined > 0 ? ` under ${upload.key}/ in ${this.deps.quarantineBucket}.` : '.'),
      batch: {outcomes: outcomes as Outcome[], reasons, counts, problems},
      ...(counts.quarantined > 0 ? {quarantineBucket: this.deps.quarantineBucket} : {}),
    })
  }
}

/** Counts a line done in the batch's progress. */
function addLine(progress: Progress, result: LineResult): void {
  progress.counts.records++
  if (result.outcome !== 'quarantined') {
    progress.counts[result.outcome] = (progress.counts[result.outcome] ?? 0) + 1
    return
  }
  progress.counts.quarantined++
  progress.counts.reasons[result.reason] = (progress.counts.reasons[result.reason] ?? 0) + 1
  if (progress.problems.length < PROBLEMS_KEPT) progress.problems.push(result.problem)
}

/** A batch's progress as its outcome record holds it. */
function progressOf(record: Record<string, AttributeValue>): Progress & {done: boolean} {
  const {attributes} = OUTCOMES_TABLE
  return {
    done: record[attributes.outcome]?.S === 'batch',
    nextLine: Number(record[attributes.nextLine]?.N ?? 1),
    counts: record[attributes.counts]?.S ? JSON.parse(record[attributes.counts].S!) : emptyCounts(),
    problems: record[attributes.problems]?.S ? JSON.parse(record[attributes.problems].S!) : [],
  }
}

const outcomeKey = (upload: Upload) => ({
  [OUTCOMES_TABLE.partitionKey]: {S: upload.key},
  [OUTCOMES_TABLE.sortKey]: {S: upload.etag},
})
