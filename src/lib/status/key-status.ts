import {setTimeout as delay} from 'node:timers/promises'

import {HeadObjectCommand} from '@aws-sdk/client-s3'

import {isNoSuchKey, unquoteEtag} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {type PipelineTarget, resource} from '#aws/clients.js'
import {ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from '#contract/pipeline-contract.js'
import {entriesOf} from '#quarantine/entries.js'

/** Where an upload is: waiting in the processing bucket, stored in the table, quarantined, or nowhere to be seen. */
export type UploadState = 'in-flight' | 'stored' | 'quarantined' | 'not-found'

export interface KeyStatus {
  key: string
  state: UploadState
  /** When it entered that state: uploaded (in flight), ingested (stored), quarantined. */
  at?: string
  /** The stored item's key. */
  item?: {[TABLE_KEY.partition]: string; [TABLE_KEY.sort]: string}
  reason?: string
  message?: string
  /** The quarantine entry (`quarantine show` takes it). */
  entry?: string
}

/** An outcome found for a key, with the ETag of the upload it belongs to (matched, then left out of what is shown). */
interface RecordedOutcome extends KeyStatus {
  etag?: string
}

async function inFlight(target: PipelineTarget, key: string): Promise<RecordedOutcome | undefined> {
  try {
    const head = await target.s3.send(new HeadObjectCommand({Bucket: resource(target, 'processingBucket'), Key: key}))
    return {key, state: 'in-flight', at: head.LastModified?.toISOString(), etag: head.ETag && unquoteEtag(head.ETag)}
  } catch (error) {
    if (isNoSuchKey(error)) return undefined
    throw error
  }
}

async function storedItems(target: PipelineTarget, key: string): Promise<RecordedOutcome[]> {
  if (!target.dynamodb) throw new Error('keyStatus needs a target resolved with the table')
  // Loaded here: `upload` without --wait never queries the table.
  const {QueryCommand} = await import('@aws-sdk/client-dynamodb')
  const response = await target.dynamodb.send(
    new QueryCommand({
      TableName: resource(target, 'table'),
      IndexName: SOURCE_KEY_INDEX,
      KeyConditionExpression: '#source = :key',
      ExpressionAttributeNames: {'#source': ITEM_METADATA.sourceKey},
      ExpressionAttributeValues: {':key': {S: key}},
    }),
  )
  return (response.Items ?? []).map((item) => ({
    key,
    state: 'stored' as const,
    at: item[ITEM_METADATA.ingestedAt]?.S,
    item: {[TABLE_KEY.partition]: item[TABLE_KEY.partition]?.S ?? '', [TABLE_KEY.sort]: item[TABLE_KEY.sort]?.S ?? ''},
    etag: item[ITEM_METADATA.sourceEtag]?.S,
  }))
}

async function quarantined(target: PipelineTarget, key: string): Promise<RecordedOutcome[]> {
  // Callers fan out over keys at the target's concurrency; one key's entries are read one at a time.
  const entries = await entriesOf(target, key, 1)
  return entries.map((entry) => ({
    key,
    state: 'quarantined' as const,
    at: entry.quarantinedAt,
    reason: entry.reason,
    message: entry.message,
    entry: entry.key,
    etag: entry.sourceEtag,
  }))
}

/**
 * What became of the latest upload of a key (or of the upload with the given ETag), by key alone.
 * The processing bucket is looked at first: the pipeline records an outcome before it removes the object,
 * so an object gone from there already has its outcome recorded.
 */
export async function keyStatus(
  target: PipelineTarget,
  key: string,
  options: {etag?: string} = {},
): Promise<KeyStatus> {
  const waiting = await inFlight(target, key)
  if (waiting && (!options.etag || waiting.etag === options.etag)) return strip(waiting)
  const [stored, held] = await Promise.all([storedItems(target, key), quarantined(target, key)])
  const candidates = [...stored, ...held].filter((outcome) => !options.etag || outcome.etag === options.etag)
  const newest = candidates.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''))[0]
  return newest ? strip(newest) : {key, state: 'not-found'}
}

function strip({etag: _etag, ...status}: RecordedOutcome): KeyStatus {
  return status
}

/** Waits `ms`, or less if `signal` is aborted meanwhile (its only way to fail). */
const sleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, {signal}).catch(() => undefined)

/**
 * Follows uploads until each is stored or quarantined, or the time is up, or `signal` is aborted (Ctrl-C): those
 * still waiting are returned as they last stood. Polls gently: every half second at first, backing off to every 3 s.
 */
export async function waitForOutcomes(
  target: PipelineTarget,
  uploads: {key: string; etag?: string}[],
  options: {timeoutMs: number; onSettled?: (status: KeyStatus) => void; signal?: AbortSignal},
): Promise<{statuses: KeyStatus[]; timedOut: boolean}> {
  const deadline = Date.now() + options.timeoutMs
  const statuses: KeyStatus[] = uploads.map(({key}) => ({key, state: 'in-flight'}))
  let pending = uploads.map((_, index) => index)
  let interval = 500
  for (;;) {
    const checked = await mapConcurrently(pending, target.concurrency, async (index) => {
      statuses[index] = await keyStatus(target, uploads[index].key, {etag: uploads[index].etag})
      return index
    })
    pending = checked.filter((index) => {
      const settled = statuses[index].state === 'stored' || statuses[index].state === 'quarantined'
      if (settled) options.onSettled?.(statuses[index])
      return !settled
    })
    if (pending.length === 0 || options.signal?.aborted) return {statuses, timedOut: false}
    if (Date.now() + interval > deadline) return {statuses, timedOut: true}
    await sleep(interval, options.signal)
    interval = Math.min(interval * 1.5, 3000)
  }
}
