import {type DynamoDBClient, GetItemCommand, UpdateItemCommand} from '@aws-sdk/client-dynamodb'
import {ListObjectsCommand, type S3Client} from '@aws-sdk/client-s3'

import {isBatchName} from '#contract/batch-names.js'
import {SWEEP_GAVE_UP, SWEEP_LIMITS} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {mapConcurrently} from '#core/concurrency.js'
import {isTransientError, unquoteEtag} from '#core/aws-responses.js'
import {type ObjectCreatedEvent, type ObjectRef, s3ObjectCreatedEvent} from './event.js'
import type {ProcessResult} from './results.js'

/*
 * The sweep: S3 can deliver an event late, or give two writes to one key at the same moment a single event, so an
 * object may sit in the processing bucket with no event coming. The sweep lists the bucket and processes each object
 * older than the stuck threshold exactly as if its event had just arrived.
 *
 * Racing the event path is safe by a lease by age. The sweep takes only objects older than the threshold (15 min by
 * default; it should stay well above the processor's 60 s timeout), so an invocation started by the object's event
 * has finished or died by then: no second processor starts on an object still being handled. (Locally the sweep also
 * goes through the dispatcher, whose one-at-a-time-per-key rule holds, and leaves alone keys with events queued or
 * running.) An event retried or delivered later still, or a second sweep, meets the same idempotent steps as two
 * deliveries of one event do, at once or in turn: the conditional put with the same-upload check (key + ETag),
 * quarantine writes that never replace, the ETag-guarded delete. Nothing stores twice, quarantines twice or deletes a
 * newer upload.
 *
 * A batch object is also taken younger than the threshold when its outcome record shows a lease that expired and the
 * batch not done: its holder died (a crash, a timeout), so the sweep continues it from its checkpoint at once. A live
 * holder renews its lease, so the sweep never takes a batch from one. A batch whose record shows it was started (a
 * lease owner) is resumed, not recovered: its event came.
 */

/** The event of an object the sweep gave up on, for the dead-letter queue, with the last error and the tries made. */
export interface SweepDeadLetter {
  event: ObjectCreatedEvent
  attempts: number
  error: {name: string; message: string; transient: boolean}
}

export interface SweepDeps {
  s3: S3Client
  dynamodb: DynamoDBClient
  processingBucket: string
  outcomesTable: string
  stuckAfterSeconds: number
  /**
   * Handles one upload exactly as its event would have; throws when it could not finish it. `resumes`: a batch whose
   * event came and was started (not a recovery).
   */
  process: (ref: ObjectRef, found: {resumes: boolean}) => Promise<ProcessResult>
  /** Sends the event of an object given up on to the dead-letter queue (locally, the dead-letter file). */
  deadLetter: (letter: SweepDeadLetter) => Promise<void>
  /** The account and region the dead-lettered events name. */
  account: string
  region: string
  /** Whether to start another object: false once the Lambda's time runs short or the local pipeline stops. */
  keepGoing?: () => boolean
  /** Keys to leave to the event path this run (locally: events for them are queued or running). */
  isBusy?: (key: string) => boolean
  log: (line: Record<string, unknown>) => void
  /** Objects handled at once. */
  concurrency?: number
  now?: () => Date
}

export interface SweepResult {
  /** Objects the run processed (older than the stuck threshold, or batches whose lease expired; not given up before). */
  swept: number
  /**
   * Of those, the ones it stored or quarantined: their event never came (or came too late). A batch whose event came
   * and which the sweep continued after its holder's lease expired is swept, not recovered.
   */
  recovered: number
  /** Of those, the ones that failed this time and are tried again by a later run. */
  failed: number
  /** Keys given up on in this run: tried SWEEP_LIMITS.maxAttempts times, their events dead-lettered. */
  gaveUp: string[]
  /** Objects left alone because an earlier run gave up on them. */
  givenUpBefore: number
  /** false when the run stopped early (its share of objects, or time): the rest waits for the next run. */
  complete: boolean
}

interface ListedObject {
  key: string
  size: number
  etag: string
  lastModified: Date
}

/** Sweeps the processing bucket once: see the comment at the top of this file. */
export async function sweep(deps: SweepDeps): Promise<SweepResult> {
  const at = deps.now?.() ?? new Date()
  const stuckBefore = at.getTime() - deps.stuckAfterSeconds * 1000
  const result: SweepResult = {swept: 0, recovered: 0, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true}
  let started = 0
  const mayStart = () => started < SWEEP_LIMITS.objectsPerRun && (deps.keepGoing?.() ?? true)
  const isStuck = (object: ListedObject) => object.lastModified.getTime() <= stuckBefore

  for await (const page of listPages(deps.s3, deps.processingBucket)) {
    const candidates = page.filter(
      (object) => (isStuck(object) || isBatchName(object.key)) && !deps.isBusy?.(object.key),
    )
    await mapConcurrently(candidates, deps.concurrency ?? 8, async (object) => {
      if (!mayStart()) {
        result.complete = false
        return
      }
      started++
      try {
        const found = await recordOf(deps, object)
        const leaseExpired = found.started && !found.done && found.leaseExpiresAt < at.getTime()
        if (found.givenUp || !(isStuck(object) || leaseExpired)) {
          // A given-up object, or a young batch left to its holder, costs one read a run, not a share of the run.
          started--
          if (found.givenUp) result.givenUpBefore++
          return
        }
        await sweepObject(deps, object, at, result, found.started)
      } catch (error) {
        // The sweep's own bookkeeping failed: the object stays, and a later run tries again.
        result.failed++
        deps.log({level: 'error', key: object.key, etag: object.etag, sweep: true, error: errorLine(error)})
      }
    })
    if (!result.complete) break
  }
  deps.log({level: 'info', sweep: true, ...result, gaveUp: result.gaveUp.length})
  return result
}

async function sweepObject(
  deps: SweepDeps,
  object: ListedObject,
  at: Date,
  result: SweepResult,
  resumes: boolean,
): Promise<void> {
  // No sequencer: only S3's events carry one, and an upload is its key and ETag. The key is exact, from the listing.
  const ref: ObjectRef = {bucket: deps.processingBucket, key: object.key, size: object.size, etag: object.etag}
  result.swept++
  try {
    const {outcome} = await deps.process(ref, {resumes})
    if (outcome !== 'skipped' && !resumes) result.recovered++
  } catch (error) {
    await countFailure(deps, object, at, error, result)
  }
}

/** Counts a failed try; at the last one, dead-letters the object's event and records that the sweep gave up on it. */
async function countFailure(deps: SweepDeps, object: ListedObject, at: Date, error: unknown, result: SweepResult) {
  const attempts = await countAttempt(deps, object, at)
  if (attempts < SWEEP_LIMITS.maxAttempts) {
    result.failed++
    return
  }
  const {key, size, etag} = object
  await deps.deadLetter({
    event: s3ObjectCreatedEvent({
      account: deps.account,
      region: deps.region,
      bucket: deps.processingBucket,
      key,
      size,
      etag,
    }),
    attempts,
    error: {...describeError(error), transient: isTransientError(error)},
  })
  await recordGivenUp(deps, object, at)
  result.gaveUp.push(key)
  deps.log({
    level: 'error',
    bucket: deps.processingBucket,
    key,
    etag,
    outcome: SWEEP_GAVE_UP,
    attempts,
    error: errorLine(error),
  })
}

/** The name and message of whatever was thrown (an Error, or anything else). */
function describeError(error: unknown): {name: string; message: string} {
  const err = error as Error | undefined
  return {name: err?.name ?? 'Error', message: err?.message ?? String(error)}
}

const errorLine = (error: unknown): string => {
  const {name, message} = describeError(error)
  return `${name}: ${message}`
}

/**
 * The processing bucket, a page (up to 1,000 objects) at a time. ListObjects (v1) with Marker, as aws/list-objects
 * does: AWS serves it like V2, and the local S3 (s3rver) crashes on V2's continuation tokens.
 */
async function* listPages(s3: S3Client, bucket: string): AsyncGenerator<ListedObject[]> {
  let marker: string | undefined
  do {
    const page = await s3.send(new ListObjectsCommand({Bucket: bucket, Marker: marker, MaxKeys: 1000}))
    const contents = page.Contents ?? []
    yield contents.flatMap(({Key, Size, ETag, LastModified}) =>
      Key && ETag && LastModified
        ? [{key: Key, size: Size ?? 0, etag: unquoteEtag(ETag), lastModified: LastModified}]
        : [],
    )
    marker = page.IsTruncated ? (page.NextMarker ?? contents.at(-1)?.Key) : undefined
  } while (marker)
}

const outcomeKey = (object: ListedObject) => ({
  [OUTCOMES_TABLE.partitionKey]: {S: object.key},
  [OUTCOMES_TABLE.sortKey]: {S: object.etag},
})

const expiresAt = (at: Date) => ({N: String(Math.floor(at.getTime() / 1000) + OUTCOMES_TABLE.retentionSeconds)})

/** What the outcome record of an upload says: given up on, or a batch started (done or not, and its lease). */
async function recordOf(deps: SweepDeps, object: ListedObject) {
  const {outcome, leaseOwner, leaseExpiresAt} = OUTCOMES_TABLE.attributes
  const {Item = {}} = await deps.dynamodb.send(
    new GetItemCommand({
      TableName: deps.outcomesTable,
      Key: outcomeKey(object),
      ProjectionExpression: '#o, #owner, #until',
      ExpressionAttributeNames: {'#o': outcome, '#owner': leaseOwner, '#until': leaseExpiresAt},
    }),
  )
  return {
    givenUp: Item[outcome]?.S === SWEEP_GAVE_UP,
    started: leaseOwner in Item,
    done: Item[outcome]?.S === 'batch',
    leaseExpiresAt: Number(Item[leaseExpiresAt]?.N ?? 0),
  }
}

/** Counts one failed sweep of this upload (key + ETag) in the outcomes table; returns the tries so far. */
async function countAttempt(deps: SweepDeps, object: ListedObject, at: Date): Promise<number> {
  const {sweepAttempts, expiresAt: expires} = OUTCOMES_TABLE.attributes
  const {Attributes} = await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.outcomesTable,
      Key: outcomeKey(object),
      UpdateExpression: 'ADD #n :one SET #x = :x',
      ExpressionAttributeNames: {'#n': sweepAttempts, '#x': expires},
      ExpressionAttributeValues: {':one': {N: '1'}, ':x': expiresAt(at)},
      ReturnValues: 'UPDATED_NEW',
    }),
  )
  return Number(Attributes![sweepAttempts].N)
}

/** Records that the sweep gave up on this upload, so later runs leave it alone (until the record expires). */
async function recordGivenUp(deps: SweepDeps, object: ListedObject, at: Date): Promise<void> {
  const {outcome, at: atAttribute, expiresAt: expires} = OUTCOMES_TABLE.attributes
  await deps.dynamodb.send(
    new UpdateItemCommand({
      TableName: deps.outcomesTable,
      Key: outcomeKey(object),
      UpdateExpression: 'SET #o = :o, #a = :a, #x = :x',
      ExpressionAttributeNames: {'#o': outcome, '#a': atAttribute, '#x': expires},
      ExpressionAttributeValues: {':o': {S: SWEEP_GAVE_UP}, ':a': {S: at.toISOString()}, ':x': expiresAt(at)},
    }),
  )
}
