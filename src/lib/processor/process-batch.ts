import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb'

import {
  isReplaceKey,
  isSelftestKey,
  type Outcome,
  PROCESSOR_TIMEOUT_SECONDS,
  type QuarantineReason,
} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {isConditionalCheckFailed} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {retryTransient} from '#core/retry.js'
import {type BatchLine, BatchCutShortError, batchLines} from '#record/batch-lines.js'
import {checkRecord} from '#record/check-record.js'
import {packedRecordKey} from '#record/packed-line.js'
import type {TypedItem} from '#record/typed-item.js'
import {isGzipName} from '#contract/batch-names.js'
import type {NotificationContent} from './notifier.js'
import {leaseOwner} from './batch-leases.js'
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
    /** The file a line `upload --batch` packed came from. */
    file?: string,
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
  /** The pipeline instance this processor runs in, named by its leases (see leaseOwner); by default this process. */
  instanceId?: string
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
  // A holder lives at most the function's timeout after taking or renewing its lease: a live holder's lease never
  // lapses, and a dead one's lapses at most 15 s after its invocation ended.
  leaseMs: (PROCESSOR_TIMEOUT_SECONDS + 15) * 1000,
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

/** This process, as lease owners name it when no pipeline instance is given (a Lambda's execution environment). */
const THIS_PROCESS = randomUUID()

/** What a delivery finds when it asks for the lease. */
type Acquired =
  | {kind: 'taken'; progress: Progress}
  | {kind: 'done'; progress: Progress; notified: boolean}
  | {kind: 'leased'; until: number}

/**
 * A batch object: many records, one per line, each taken through the same steps as a one-record object (the record
 * check, the conditional put with the same-upload rule, a quarantine entry that never replaces), the "upload" of a
 * record being the object's key + ETag + its line. So any retry, redelivery or sweep of the batch finds its own lines
 * again: stored lines are `alreadyStored`, quarantined lines land on the same entry, nothing is a false duplicate.
 *
 * Progress is kept in the outcomes table under the batch's key + ETag: a checkpoint (the first line not done, with the
 * counts so far) and a lease. Whoever re-delivers the batch (the event again, the sweeper, a re-invocation) goes
 * through `process` and continues from the checkpoint, skipping the lines before it; while another processor holds an
 * unexpired lease it steps aside (`skipped`, `leased`, with the lease's expiry), after waiting for the lease when it
 * expires within the invocation's time: a dead holder's lease lapses within the function's timeout + 15 s, a live
 * holder renews it at each checkpoint and keeps it. The lease only saves work: correctness rests on the idempotent
 * steps, so two processors overlapping after a lease expired still give one item or entry per line. Lines are done a
 * checkpoint's worth at a time, `parallelism` in flight; a stop (time running out, Ctrl-C) stops at the next line,
 * checkpoints and gives the lease up. Once done, the final counts are recorded (`Outcome` = `batch`), one
 * notification sent and recorded as sent, and the object removed; a later delivery of a done batch takes no lease
 * and only removes the object (and announces it, if its notification is not recorded yet).
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
    const owner = leaseOwner(this.deps.instanceId ?? THIS_PROCESS)
    const acquired = await this.acquire(upload, owner, options)
    if (acquired.kind !== 'taken') body.destroy?.()
    if (acquired.kind === 'leased')
      return {outcome: 'skipped', key: upload.key, why: 'leased', leaseExpiresAt: acquired.until}
    if (acquired.kind === 'done') return this.finish(upload, acquired.progress, acquired.notified)
    try {
      return await this.processLines(upload, {body, size}, owner, acquired.progress, options)
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
    let window: BatchLine[] = []
    const stop = () =>
      options.stop?.aborted === true || (options.remainingTimeMs?.() ?? Infinity) < this.settings.stopMarginMs
    try {
      // Lines before the checkpoint are read (a stream cannot skip) but not done again.
      for await (const line of batchLines(body, {gzip: isGzipName(upload.key), expectedBytes: size})) {
        if (line.line < progress.nextLine) continue
        window.push(line)
        if (window.length < this.settings.linesPerCheckpoint) continue
        if (await this.runWindow(upload, window, progress, stop)) return this.stopAt(upload, owner, progress, body)
        window = []
        await this.checkpoint(upload, owner, progress, false)
      }
    } catch (error) {
      if (!(error instanceof BatchCutShortError)) throw error
      // The lines read are done; the rest cannot be read (broken gzip) or is past a limit, so the whole object is
      // quarantined as the entry of the first line not taken, counted as one record (an admin fixes or splits the
      // file and uploads it again: lines stored now are then `unchanged`).
      await this.runWindow(upload, window, progress)
      window = []
      const {reason, message, line} = error
      const copied = await this.steps.copyEntry(upload, reason, message, line)
      if (copied.skipped) return {outcome: 'skipped', key: upload.key, why: copied.skipped}
      addLine(progress, {outcome: 'quarantined', reason, problem: {line, path: '', reason}})
    }
    if (await this.runWindow(upload, window, progress, stop)) return this.stopAt(upload, owner, progress, body)
    progress.nextLine = Number.MAX_SAFE_INTEGER
    await this.complete(upload, owner, progress)
    return this.finish(upload, progress, false)
  }

  /** Stopped part-way (time running out, Ctrl-C): the lines done are checkpointed and the lease given up. */
  private async stopAt(
    upload: Upload,
    owner: string,
    progress: Progress,
    body: {destroy?: () => void},
  ): Promise<ProcessResult> {
    body.destroy?.()
    await this.checkpoint(upload, owner, progress, true)
    const {nextLine, counts} = progress
    return {outcome: 'continuing', key: upload.key, etag: upload.etag, nextLine, counts}
  }

  /**
   * Does a window of lines, `parallelism` at a time, and adds them to the progress in line order. A line that fails
   * transiently (after the SDK's own retries) is tried again on its own, as each line is idempotent: one unlucky call
   * among thousands must not restart the window. A line that still fails fails the window, and the lines not started
   * yet are not started. Once `stop` says so, no line starts: the lines under way finish, and the progress covers the
   * lines before the first one not started. Returns whether it stopped so.
   */
  private async runWindow(
    upload: Upload,
    window: BatchLine[],
    progress: Progress,
    stop: () => boolean = () => false,
  ): Promise<boolean> {
    if (window.length === 0) return false
    let failed: unknown
    const results = await mapConcurrently(window, this.settings.parallelism, async (line) => {
      if (failed) throw failed
      // Lines start in order and a stop is for good: the lines done are the window's first ones.
      if (stop()) return undefined
      try {
        return await retryTransient(() => this.processLine(upload, line), {attempts: 3, delayMs: 100})
      } catch (error) {
        failed ??= error
        throw error
      }
    })
    const done = results.filter((result) => result !== undefined)
    for (const result of done) addLine(progress, result)
    progress.nextLine = done.length < window.length ? window[done.length].line : window[window.length - 1].line + 1
    return done.length < window.length
  }

  private async processLine(upload: Upload, {line, bytes, size, file}: BatchLine): Promise<LineResult> {
    const quarantine = async (
      reason: QuarantineReason,
      message: string,
      path = '',
      judgedVersion?: number,
    ): Promise<LineResult> => {
      const entry = await this.steps.writeEntry(upload, bytes, reason, message, line, judgedVersion, file)
      if (file !== undefined) await this.recordPackedQuarantine(upload, line, bytes, entry, reason)
      return {outcome: 'quarantined', reason, problem: {line, path, reason}}
    }
    const check = checkRecord(bytes, {line, size, canary: isSelftestKey(upload.key)})
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
   * Records where a packed file's record went when quarantined, under the record's digest (packedRecordKey), so that
   * `status FILE` finds its entry from the file alone: the batch's key is nowhere else to be found from the file. One
   * write per quarantined packed record; a stored one needs none (its item names its batch and line).
   */
  private async recordPackedQuarantine(
    upload: Upload,
    line: number,
    bytes: Uint8Array,
    entry: string,
    reason: QuarantineReason,
  ): Promise<void> {
    const {partitionKey, sortKey, attributes, retentionSeconds} = OUTCOMES_TABLE
    const now = this.now()
    await this.deps.dynamodb.send(
      new PutItemCommand({
        TableName: this.deps.outcomesTable,
        Item: {
          [partitionKey]: {S: packedRecordKey(bytes)},
          [sortKey]: {S: `${upload.etag}#${line}`},
          [attributes.outcome]: {S: 'quarantined'},
          [attributes.at]: {S: now.toISOString()},
          [attributes.entry]: {S: entry},
          [attributes.reason]: {S: reason},
          [attributes.batchKey]: {S: upload.key},
          [attributes.line]: {N: String(line)},
          [attributes.expiresAt]: {N: String(Math.floor(now.getTime() / 1000) + retentionSeconds)},
        },
      }),
    )
  }

  /**
   * Takes the lease on the batch (key + ETag), unless it is done or another processor holds an unexpired lease, and
   * returns its progress: a checkpoint to continue from. A done batch takes no lease: its final counts, and whether
   * its notification went out. When another's lease expires within the time this invocation has (minus the stop
   * margin), waits for it once and asks again: a dead holder's batch goes on now, a live holder has renewed it.
   */
  private async acquire(upload: Upload, owner: string, options: ProcessOptions): Promise<Acquired> {
    const first = await this.tryAcquire(upload, owner)
    if (first.kind !== 'leased' || options.remainingTimeMs === undefined) return first
    const wait = first.until - this.now().getTime()
    if (wait > options.remainingTimeMs() - this.settings.stopMarginMs) return first
    try {
      await sleep(Math.max(0, wait) + 100, undefined, {signal: options.stop})
    } catch {
      return first
    }
    return this.tryAcquire(upload, owner)
  }

  private async tryAcquire(upload: Upload, owner: string): Promise<Acquired> {
    const {attributes} = OUTCOMES_TABLE
    const now = this.now().getTime()
    try {
      const {Attributes = {}} = await this.deps.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.deps.outcomesTable,
          Key: outcomeKey(upload),
          UpdateExpression: 'SET #owner = :owner, #until = :until, #expires = if_not_exists(#expires, :expires)',
          // Our own lease too: a retry of this very call, whose first answer was lost, finds it taken by us.
          ConditionExpression:
            '(attribute_not_exists(#outcome) OR #outcome <> :batch) AND ' +
            '(attribute_not_exists(#until) OR #until < :now OR #owner = :owner)',
          ExpressionAttributeNames: {
            '#owner': attributes.leaseOwner,
            '#until': attributes.leaseExpiresAt,
            '#expires': attributes.expiresAt,
            '#outcome': attributes.outcome,
          },
          ExpressionAttributeValues: {
            ':owner': {S: owner},
            ':until': {N: String(now + this.settings.leaseMs)},
            ':now': {N: String(now)},
            ':batch': {S: 'batch'},
            ':expires': {N: String(Math.floor(now / 1000) + OUTCOMES_TABLE.retentionSeconds)},
          },
          ReturnValues: 'ALL_NEW',
        }),
      )
      return {kind: 'taken', progress: progressOf(Attributes)}
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error
    }
    // Done, or leased: which one, read consistently (the local DynamoDB returns no item with a failed condition).
    const {Item = {}} = await this.deps.dynamodb.send(
      new GetItemCommand({TableName: this.deps.outcomesTable, Key: outcomeKey(upload), ConsistentRead: true}),
    )
    if (Item[attributes.outcome]?.S === 'batch')
      return {kind: 'done', progress: progressOf(Item), notified: attributes.notifiedAt in Item}
    // A lease that expired or was given up between the two calls counts as expiring now: the caller may ask again.
    return {kind: 'leased', until: Math.max(now, Number(Item[attributes.leaseExpiresAt]?.N ?? now))}
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

  /**
   * One notification for the whole batch, recorded as sent (a crash before that record sends it again: at least
   * once), then the object removed. A batch announced already is only removed: `skipped`, `done`.
   */
  private async finish(upload: Upload, progress: Progress, notified: boolean): Promise<ProcessResult> {
    if (!notified) await this.notifyDone(upload, progress)
    await this.steps.removeOriginal(upload)
    if (notified) return {outcome: 'skipped', key: upload.key, why: 'done'}
    return {outcome: 'batch', key: upload.key, etag: upload.etag, counts: progress.counts}
  }

  /**
   * A done batch whose object is gone (see ObjectProcessor): its one notification, from its outcome record, unless it
   * went out already. Returns whether it was sent now.
   */
  async announce(upload: Upload, record: Record<string, AttributeValue>): Promise<boolean> {
    if (OUTCOMES_TABLE.attributes.notifiedAt in record) return false
    await this.notifyDone(upload, progressOf(record))
    return true
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
    await this.deps.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.deps.outcomesTable,
        Key: outcomeKey(upload),
        UpdateExpression: 'SET #notified = :at',
        ExpressionAttributeNames: {'#notified': OUTCOMES_TABLE.attributes.notifiedAt},
        ExpressionAttributeValues: {':at': {S: this.now().toISOString()}},
      }),
    )
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
function progressOf(record: Record<string, AttributeValue>): Progress {
  const {attributes} = OUTCOMES_TABLE
  return {
    nextLine: Number(record[attributes.nextLine]?.N ?? 1),
    counts: record[attributes.counts]?.S ? JSON.parse(record[attributes.counts].S!) : emptyCounts(),
    problems: record[attributes.problems]?.S ? JSON.parse(record[attributes.problems].S!) : [],
  }
}

const outcomeKey = (upload: Upload) => ({
  [OUTCOMES_TABLE.partitionKey]: {S: upload.key},
  [OUTCOMES_TABLE.sortKey]: {S: upload.etag},
})
