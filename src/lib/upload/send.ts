import {createHash} from 'node:crypto'

import {PutObjectCommand} from '@aws-sdk/client-s3'

import {type PipelineTarget, resource} from '#aws/clients.js'
import {unquoteEtag} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {explainAwsError, isConditionalWriteConflict} from '#aws/explain-error.js'
import {CliError, type Failure, toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {
  encodeMetadataValue,
  ITEM_METADATA,
  type QuarantineReason,
  UPLOAD_METADATA,
} from '#contract/pipeline-contract.js'
import type {Progress} from '#terminal/progress.js'
import type {RecordProblem} from '#record/check-record.js'
import {sameRecord} from '#record/same-record.js'
import {isBatchName, isGzipName} from '#contract/batch-names.js'
import type {BatchCounts} from '#processor/results.js'
import {finishedBatch, inFlight, type ItemKey, type KeyStatus} from '#status/key-status.js'
import {itemKeyOf} from '#record/typed-item.js'
import {batchAlreadyStored, BATCH_GET_LIMIT, type StoredItem, storedItemsFor} from './already-stored.js'
import {type PlannedFile, type PreparedFile, prepareFile} from './plan.js'

export type FileUploadStatus =
  'invalid' | 'would-upload' | 'uploaded' | 'unchanged' | 'in-flight-conflict' | 'failed' | 'not-attempted'

/** One file in `upload`'s result. */
export interface UploadedFile {
  file: string
  key: string
  /** Bytes read (absent for a file not attempted). */
  size?: number
  status: FileUploadStatus
  /** The uploaded object's ETag (without quotes), which tells this upload apart from others of the same key. */
  etag?: string
  /** Sent before and still waiting to be processed: the key already held this very content (a re-run). */
  alreadyInFlight?: true
  /** `unchanged`: the stored item that holds this very record already (so it was not sent). */
  item?: ItemKey
  /**
   * Sent under a key an earlier upload used for other content: the table holds this record's ArtistID + ItemID as
   * stored from that upload (its ETag, and when), in another version (two folders of one layout, or a changed file).
   */
  keyUsedBefore?: {etag?: string; at?: string}
  /**
   * Sent with another version of a record stored from another key (its source key, when the item records it): the
   * pipeline quarantines it as a duplicate unless sent with --replace.
   */
  storedFrom?: {sourceKey?: string}
  /**
   * An `unchanged` batch file: its records, all found stored exactly so, or, with `processedAt`, as the earlier run that
   * processed this very upload (key + ETag) counted them then.
   */
  counts?: BatchCounts
  /** A batch file processed before exactly so (same key + ETag): when. Sent again (--force), its outcome is that run's. */
  processedAt?: string
  /** Why the record check refused it, and where. */
  reason?: QuarantineReason
  errors?: RecordProblem[]
  error?: {code: string; message: string}
  /** With --wait: what became of it. */
  outcome?: KeyStatus
}

export interface SendOptions {
  validate: boolean
  /** Send records and batch files even when they are already stored exactly so. */
  force: boolean
  /** Who sends, as UPLOAD_METADATA says it: kept on the items a replacement makes. */
  requestedBy?: string
  /** Uploads meant to replace what is stored: a key's earlier upload in other content is then no surprise. */
  replace?: boolean
  progress: Progress
  /** Ctrl-C: no new file starts; those not started are reported `not-attempted`. */
  signal?: AbortSignal
}

/**
 * S3's ETag of a body sent in one PutObject: its MD5 (true for SSE-S3, the processing bucket's encryption, and for
 * the emulators; multipart uploads and SSE-KMS have other ETags, and upload uses neither).
 */
const singlePartEtag = (body: Buffer): string => createHash('md5').update(body).digest('hex')

/** Tries of a PutObject refused because the key was taken, then found free again (its object just processed). */
const PUT_TRIES = 3

/**
 * Sends one file with `If-None-Match: *`, so that S3 never replaces an object still waiting under the key. When S3
 * refuses, the waiting object's ETag says whose it is: this very content (sent by an interrupted run, not processed
 * yet) counts as sent; another upload's is a conflict to retry later. S3's refusal itself does not tell, and a HEAD
 * (which the uploader may do) is one call on a rare path; comparing with the local MD5 needs no download.
 */
async function put(
  target: PipelineTarget,
  planned: PlannedFile,
  body: Buffer,
  described: Pick<UploadedFile, 'file' | 'key' | 'size' | 'keyUsedBefore' | 'storedFrom'>,
  {progress, requestedBy}: Pick<SendOptions, 'progress' | 'requestedBy'>,
): Promise<UploadedFile> {
  const {key} = planned
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await target.s3.send(
        new PutObjectCommand({
          Bucket: resource(target, 'processingBucket'),
          Key: key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          Metadata: requestedBy ? {[UPLOAD_METADATA.requestedBy]: encodeMetadataValue(requestedBy)} : undefined,
        }),
      )
      progress.advance()
      return {...described, status: 'uploaded', etag: response.ETag && unquoteEtag(response.ETag)}
    } catch (error) {
      if (!isConditionalWriteConflict(error)) throw error
    }
    const waiting = await inFlight(target, key)
    const etag = singlePartEtag(body)
    if (waiting?.etag === etag) {
      progress.advance()
      return {...described, status: 'uploaded', etag, alreadyInFlight: true}
    }
    if (waiting || attempt === PUT_TRIES) {
      progress.advance()
      return {
        ...described,
        status: 'in-flight-conflict',
        error: {
          code: 'InFlight',
          message: 'an earlier upload of this key is still in the processing bucket; try again once it is processed',
        },
      }
    }
  }
}

/**
 * What is known of a batch file before sending it: the same key and ETag processed before (`processedAt`; its counts
 * are that run's), and, unless forced, whether sending it would change nothing (`unchanged`: processed before, or
 * every record already stored exactly so). Undefined when nothing is known, and without the tables.
 */
async function batchBeforeSending(
  target: PipelineTarget,
  key: string,
  body: Buffer,
  {table, force}: {table?: string; force: boolean},
): Promise<(Pick<UploadedFile, 'etag' | 'counts' | 'processedAt'> & {unchanged: boolean}) | undefined> {
  if (!target.dynamodb || !isBatchName(key)) return undefined
  const etag = singlePartEtag(body)
  const processed = await finishedBatch(target, key, etag)
  if (processed?.counts) return {unchanged: !force, etag, counts: processed.counts, processedAt: processed.at}
  if (force || !table) return undefined
  const records = await batchAlreadyStored(target.dynamodb, table, body, {gzip: isGzipName(key)}).catch((error) => {
    throw explainLookUpError(error)
  })
  if (records === undefined) return undefined
  return {unchanged: true, etag, counts: {records, stored: 0, unchanged: records, quarantined: 0, reasons: {}}}
}

/**
 * The earlier upload of `key` that stored `storedItem` (found stored under the record's ArtistID + ItemID, in another
 * version than the record): its ETag and when. Undefined when the item came from another key.
 */
function earlierUploadOfKey(storedItem: StoredItem | undefined, key: string): UploadedFile['keyUsedBefore'] {
  if (storedItem?.[ITEM_METADATA.sourceKey]?.S !== key) return undefined
  return {etag: storedItem[ITEM_METADATA.sourceEtag]?.S, at: storedItem[ITEM_METADATA.ingestedAt]?.S}
}

/** An uploader role from before the look-up existed (a stack not redeployed since) may not use it: say how to go on. */
function explainLookUpError(error: unknown): unknown {
  if (!(error as {name?: string})?.name?.startsWith('AccessDenied')) return error
  return new CliError('The uploader role may not look records up in the table (dynamodb:BatchGetItem).', {
    exitCode: ExitCode.Credentials,
    code: 'AccessDenied',
    cause: error,
    hint: 'Redeploy the stack (eventpulse deploy) to grant it, or pass --force to send without looking records up.',
  })
}

/**
 * Checks and sends each file, `--concurrency` at a time, and stops starting new ones at the first failure (the target
 * is down, the network gone, credentials expired): every file is reported, those not tried as `not-attempted`, and the
 * failure is returned beside them. Invalid files (when validating) are not sent. Unless `force`, files are read and
 * checked a window of BATCH_GET_LIMIT at a time, and each window's records are looked up in the table with one
 * BatchGetItem (the next window's while this one is sent): a record the table already holds exactly so is
 * `unchanged` and not sent, which makes re-running an interrupted upload cheap and safe. So is a batch file already
 * processed exactly so, or whose every record is stored (batchBeforeSending).
 */
export async function uploadFiles(
  target: PipelineTarget,
  planned: PlannedFile[],
  options: SendOptions,
): Promise<{files: UploadedFile[]; failure?: Failure}> {
  const table = options.force ? undefined : target.resources.table
  const prepared: (PreparedFile | undefined)[] = new Array(planned.length)
  const windows: Promise<Map<string, StoredItem>>[] = []
  let failure: Failure | undefined

  const lookUpWindow = (window: number) =>
    (windows[window] ??= (async () => {
      const start = window * BATCH_GET_LIMIT
      const end = Math.min(start + BATCH_GET_LIMIT, planned.length)
      for (let index = start; index < end; index++)
        prepared[index] = await prepareFile(planned[index], options.validate)
      if (!table || !target.dynamodb) return new Map<string, StoredItem>()
      const records = prepared.slice(start, end).flatMap((file) => (file?.check?.ok ? [file.check.item] : []))
      return storedItemsFor(target.dynamodb, table, records).catch((error) => {
        throw explainLookUpError(error)
      })
    })())

  const files = await mapConcurrently(planned, target.concurrency, async (entry, index): Promise<UploadedFile> => {
    const notAttempted = {file: entry.file.displayPath, key: entry.key, status: 'not-attempted' as const}
    if (failure || options.signal?.aborted) return notAttempted
    const window = Math.floor(index / BATCH_GET_LIMIT)
    // Read ahead; a failure there is met (and reported) when that window's turn comes.
    if ((window + 1) * BATCH_GET_LIMIT < planned.length) lookUpWindow(window + 1).catch(() => {})
    let stored: Map<string, StoredItem>
    try {
      stored = await lookUpWindow(window)
    } catch (error) {
      failure ??= toFailure(explainAwsError(error))
      return notAttempted
    }
    if (failure) return notAttempted
    const {body, check, report} = prepared[index]!
    prepared[index] = undefined
    const described = {file: entry.file.displayPath, key: entry.key, size: body.length}
    if (report && !report.valid) {
      options.progress.advance()
      return {...described, status: 'invalid', reason: report.reason, errors: report.errors}
    }
    const storedItem = check?.ok ? stored.get(itemKeyOf(check.item)) : undefined
    if (check?.ok && storedItem && sameRecord(check.item, storedItem)) {
      options.progress.advance()
      const {ArtistID, ItemID} = check.item as Record<string, {S: string}>
      return {...described, status: 'unchanged', item: {ArtistID: ArtistID.S, ItemID: ItemID.S}}
    }
    const keyUsedBefore = options.replace ? undefined : earlierUploadOfKey(storedItem, entry.key)
    const storedFrom =
      options.replace || !storedItem || keyUsedBefore ? undefined : {sourceKey: storedItem[ITEM_METADATA.sourceKey]?.S}
    try {
      const batch = await batchBeforeSending(target, entry.key, body, {table, force: options.force})
      if (batch?.unchanged) {
        options.progress.advance()
        const {unchanged: _unchanged, ...found} = batch
        return {...described, status: 'unchanged', ...found}
      }
      const sent = await put(
        target,
        entry,
        body,
        {...described, ...(keyUsedBefore && {keyUsedBefore}), ...(storedFrom && {storedFrom})},
        options,
      )
      // Sent again with --force: the pipeline has nothing new to tell of it, and its outcome is that earlier run's.
      return batch?.processedAt && sent.status === 'uploaded' ? {...sent, processedAt: batch.processedAt} : sent
    } catch (error) {
      const fileFailure = toFailure(explainAwsError(error))
      failure ??= fileFailure
      options.progress.advance()
      return {...described, status: 'failed', error: {code: fileFailure.code, message: fileFailure.message}}
    }
  })
  return {files, failure}
}
