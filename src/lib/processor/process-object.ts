import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

import {MAX_BATCH_OBJECT_BYTES, MAX_OBJECT_BYTES} from '#contract/limits.js'
import {
  compactMetadataValue,
  decodeMetadataValue,
  encodeMetadataValue,
  hasHashedEntryKeys,
  isReplaceKey,
  isSelftestKey,
  ITEM_CHANGES,
  ITEM_METADATA,
  QUARANTINE_METADATA,
  QUARANTINE_REASONS,
  type Outcome,
  type QuarantineReason,
  quarantineKey,
  quarantineTagging,
  SOURCE_KEY_INDEX,
  TABLE_KEY,
  UPLOAD_METADATA,
} from '#contract/pipeline-contract.js'
import {DEFAULT_HISTORY_RETENTION_SECONDS, OUTCOMES_TABLE} from '#contract/table.js'
import {checkRecord} from '#record/check-record.js'
import {sameRecord} from '#record/same-record.js'
import type {TypedItem} from '#record/typed-item.js'
import {isConditionalCheckFailed, isNoSuchKey, isPreconditionFailed, unquoteEtag} from '#core/aws-responses.js'
import type {ObjectRef} from './event.js'
import {type NotificationContent, type Notifier, replacedContent} from './notifier.js'
import {BatchProcessor, type BatchSettings} from './process-batch.js'
import {describeProblems, type Problem, valueFree} from './problems.js'
import type {ItemKey, ProcessOptions, ProcessResult, PutOutcome, Upload} from './results.js'
import {itemKeyOf, replaceVersion, type StoredItem, versionOf, type VersionStore} from './versions.js'
import {isBatchName} from '#contract/batch-names.js'

export interface ProcessorDeps {
  s3: S3Client
  dynamodb: DynamoDBClient
  notifier: Notifier
  quarantineBucket: string
  table: string
  /** Where outcomes that leave no item or entry of their own (`unchanged`) are recorded. */
  outcomesTable: string
  now?: () => Date
  /** How batch objects are worked through (tests shorten the lease and checkpoint interval). */
  batch?: Partial<BatchSettings>
  /** The pipeline instance (a local pipeline's), named by the batch leases it takes; by default this process. */
  instanceId?: string
  /** Where items' earlier versions are kept when replaced (REPLACE_PREFIX), and how long (default 365 days). */
  historyTable?: string
  historyRetentionSeconds?: number
}

/** S3 allows 2 KB of user metadata in all (names and values); keep clear of it. */
const METADATA_BUDGET_BYTES = 1900
/** Rounds of a replacement that finds the item changed by a racing change each time, before the try is retried. */
const MAX_REPLACE_ROUNDS = 5
const MAX_MESSAGE_CHARS = 300

const quoted = (etag: string): string => `"${etag}"`

type Read =
  | {kind: 'bytes'; upload: Upload; bytes: Uint8Array}
  | {kind: 'stream'; upload: Upload; body: AsyncIterable<Uint8Array> & {destroy?: () => void}; size?: number}
  | {kind: 'too-large'; upload: Upload; size: number}
  | {kind: 'gone'}
  | {kind: 'superseded'}
  | {kind: 'unreadable'; code: string}

/**
 * What S3 answers for an object no retry will make readable: denied (e.g. a KMS key the processor may not use), stored
 * with a customer-provided key (SSE-C: InvalidRequest), or archived (InvalidObjectState). HEAD has no error body, only
 * the status (Forbidden, BadRequest).
 */
const UNREADABLE = new Set(['AccessDenied', 'InvalidObjectState', 'InvalidRequest', 'Forbidden', 'BadRequest'])

/**
 * A release puts the object back and removes its entry right after: an ep-release-id older than this is no release
 * in progress (or was forged by an uploader), and is ignored rather than waited on for ever.
 */
const RELEASE_WINDOW_MS = 10 * 60 * 1000

/**
 * Reads the upload the event names, and only that upload: If-Match on the event's ETag, checked again on the
 * answer because a local S3 may ignore the header. Without an ETag in the event, the object as it is now is the
 * upload. An object over the cap is left unread, and one the event says is over it is only looked at (HEAD).
 */
async function readUpload(ref: ObjectRef, s3: S3Client, now: Date): Promise<Read> {
  const request = {Bucket: ref.bucket, Key: ref.key, IfMatch: ref.etag === undefined ? undefined : quoted(ref.etag)}
  // A batch object is streamed, never held whole, so its cap is far higher.
  const batch = isBatchName(ref.key)
  const limit = batch ? MAX_BATCH_OBJECT_BYTES : MAX_OBJECT_BYTES
  const headOnly = (ref.size ?? 0) > limit
  let response: GetObjectCommandOutput | HeadObjectCommandOutput
  try {
    response = headOnly ? await s3.send(new HeadObjectCommand(request)) : await s3.send(new GetObjectCommand(request))
  } catch (error) {
    if (isNoSuchKey(error)) return {kind: 'gone'}
    if (isPreconditionFailed(error)) return {kind: 'superseded'}
    const code = (error as {name?: string} | undefined)?.name ?? ''
    if (UNREADABLE.has(code)) return {kind: 'unreadable', code}
    throw error
  }
  const body = 'Body' in response ? response.Body : undefined
  const discard = () => (body as {destroy?: () => void} | undefined)?.destroy?.()
  const etag = unquoteEtag(response.ETag ?? '')
  if (ref.etag !== undefined && response.ETag && etag !== ref.etag) {
    discard()
    return {kind: 'superseded'}
  }
  const upload: Upload = {
    bucket: ref.bucket,
    key: ref.key,
    etag: ref.etag ?? etag,
    sequencer: ref.sequencer,
    releaseId:
      now.getTime() - (response.LastModified?.getTime() ?? 0) < RELEASE_WINDOW_MS
        ? response.Metadata?.[QUARANTINE_METADATA.releaseId]
        : undefined,
    requestedBy: decodeOptional(response.Metadata?.[UPLOAD_METADATA.requestedBy]),
  }
  if ((response.ContentLength ?? 0) > limit) {
    discard()
    return {kind: 'too-large', upload, size: response.ContentLength!}
  }
  // The event's size was wrong: read it after all.
  if (!body) return readUpload({...ref, size: undefined}, s3, now)
  if (batch) return {kind: 'stream', upload, body: body as AsyncIterable<Uint8Array>, size: response.ContentLength}
  return {kind: 'bytes', upload, bytes: await body.transformToByteArray()}
}

const decodeOptional = (value: string | undefined) => (value === undefined ? undefined : decodeMetadataValue(value))

/** The first `length` UTF-16 units of `text`, less half a surrogate pair at the end (no encoding takes it alone). */
const clip = (text: string, length: number): string =>
  text.slice(0, /[\uD800-\uDBFF]/.test(text.charAt(length - 1)) ? length - 1 : length)

function quarantineMetadata(
  upload: Upload,
  reason: QuarantineReason,
  message: string,
  at: string,
  line?: number,
  judgedVersion?: number,
  file?: string,
): Record<string, string> {
  const metadata: Record<string, string> = {
    [QUARANTINE_METADATA.reason]: reason,
    [QUARANTINE_METADATA.sourceEtag]: upload.etag,
    [QUARANTINE_METADATA.quarantinedAt]: at,
  }
  if (judgedVersion !== undefined) metadata[QUARANTINE_METADATA.judgedVersion] = String(judgedVersion)
  if (line !== undefined) metadata[QUARANTINE_METADATA.sourceLine] = String(line)
  if (upload.sequencer) metadata[QUARANTINE_METADATA.sourceSequencer] = upload.sequencer
  if (upload.releaseId) metadata[QUARANTINE_METADATA.releaseId] = upload.releaseId
  const size = (entries: Record<string, string>) =>
    Object.entries(entries).reduce((sum, [k, v]) => sum + k.length + v.length, 0)
  // An entry key in the hashed layout does not hold its whole source key: then the metadata always does, in its
  // shortest spelling, and the message gives way.
  const hashed = hasHashedEntryKeys(upload.key)
  const sourceKey = hashed ? compactMetadataValue(upload.key) : encodeMetadataValue(upload.key)
  if (hashed || size(metadata) + QUARANTINE_METADATA.sourceKey.length + sourceKey.length <= METADATA_BUDGET_BYTES / 2)
    metadata[QUARANTINE_METADATA.sourceKey] = sourceKey
  const fileName = file === undefined ? undefined : encodeMetadataValue(file)
  if (fileName && size(metadata) + QUARANTINE_METADATA.sourceFile.length + fileName.length <= METADATA_BUDGET_BYTES / 2)
    metadata[QUARANTINE_METADATA.sourceFile] = fileName
  const room = METADATA_BUDGET_BYTES - size(metadata) - QUARANTINE_METADATA.message.length
  let text = message.length > MAX_MESSAGE_CHARS ? `${clip(message, MAX_MESSAGE_CHARS - 1)}…` : message
  while (encodeMetadataValue(text).length > room) text = `${clip(text, Math.floor(text.length * 0.8))}…`
  metadata[QUARANTINE_METADATA.message] = encodeMetadataValue(text)
  return metadata
}

export class ObjectProcessor {
  private readonly now: () => Date
  private readonly batches: BatchProcessor

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? (() => new Date())
    this.batches = new BatchProcessor(deps, this.now, {
      putRecord: (upload, record, line, replace) => this.putRecord(upload, record, line, replace),
      writeEntry: (upload, bytes, reason, message, line, judgedVersion, file) =>
        this.writeEntry(upload, bytes, reason, message, line, judgedVersion, file),
      copyEntry: (upload, reason, message, line) => this.copyEntry(upload, reason, message, line),
      notify: (upload, content) => this.notify(upload, content),
      removeOriginal: (upload) => this.removeOriginal(upload),
    })
  }

  /**
   * Turns one upload into a stored item, an `unchanged` record or a quarantine entry, then removes it from the
   * processing bucket. Every step is idempotent, so a retry after a failure at any point (or a redelivered event, or
   * a sweep of the same upload) finishes the job without a second item, a second quarantine entry or a false
   * duplicate. Transient AWS errors are thrown (after the SDK's own retries) so the invocation is retried; nothing is
   * quarantined because of them.
   */
  async process(ref: ObjectRef, options: ProcessOptions = {}): Promise<ProcessResult> {
    const result = await this.processKey(ref, options)
    if (result.outcome !== 'skipped' || result.why === 'leased' || result.why === 'done') return result
    // The event's key may be raw yet decode to another key ('a+b.json' to 'a b.json'): then the raw key is the one.
    const raw = ref.rawKey === undefined ? undefined : await this.processKey({...ref, key: ref.rawKey}, options)
    if (raw && raw.outcome !== 'skipped') return raw
    if (result.why !== 'superseded' && raw?.why !== 'superseded') return result
    for (const key of ref.rawKey === undefined ? [ref.key] : [ref.key, ref.rawKey]) {
      const announced = await this.announceEarlierOutcome({...ref, key})
      if (announced) return {outcome: 'skipped', key, why: 'superseded', announced}
    }
    return result
  }

  private async processKey(ref: ObjectRef, options: ProcessOptions): Promise<ProcessResult> {
    const read = await readUpload(ref, this.deps.s3, this.now())
    if (read.kind === 'gone' || read.kind === 'superseded') return {outcome: 'skipped', key: ref.key, why: read.kind}
    if (read.kind === 'unreadable') return this.quarantineUnreadable(ref, read.code)
    if (read.kind === 'too-large') return this.quarantineOversized(read.upload, read.size)
    if (read.kind === 'stream') return this.batches.process(read.upload, read.body, read.size, options)

    const check = checkRecord(read.bytes, {canary: isSelftestKey(read.upload.key)})
    if (!check.ok)
      return this.quarantine(read.upload, read.bytes, check.reason, describeProblems(check.reason, check.problems))
    return this.store(read.upload, read.bytes, check.item)
  }

  private async store(upload: Upload, bytes: Uint8Array, record: TypedItem): Promise<ProcessResult> {
    const put = await this.putRecord(upload, record, undefined, isReplaceKey(upload.key))
    if (put.kind === 'too-large') return this.quarantine(upload, bytes, 'too-large', valueFree(put.message))
    if (put.kind === 'unchanged') return this.unchanged(upload, put.item, put.stored)
    if (put.kind === 'duplicate')
      return this.quarantine(upload, bytes, 'duplicate', valueFree(put.stored), put.item, put.version)
    if (put.kind === 'replaced') {
      await this.announceReplaced(upload, put.item)
      await this.removeOriginal(upload)
      return {outcome: 'replaced', key: upload.key, item: put.item}
    }
    await this.announceStored(upload, put.item)
    await this.removeOriginal(upload)
    return {outcome: 'stored', key: upload.key, item: put.item, alreadyStored: put.alreadyStored}
  }

  private announceStored(upload: Upload, item: ItemKey): Promise<void> {
    return this.notify(upload, {
      outcome: 'stored',
      subject: `EventPulse: stored ${item.ArtistID} / ${item.ItemID}`,
      message: `${upload.key} was stored as ArtistID "${item.ArtistID}", ItemID "${item.ItemID}".`,
      item,
    })
  }

  private announceReplaced(upload: Upload, item: ItemKey): Promise<void> {
    return this.notify(upload, replacedContent(upload.key, item))
  }

  /**
   * A newer upload replaced this one. An earlier try of this very upload may have reached its outcome and failed
   * before its notification went out; that outcome is found again from its traces (the item, entry or outcome record
   * with this key and ETag) and notified, so that every processed upload is announced at least once. (An upload found
   * gone needs none of this: the processor removes an object only after notifying.) A late duplicate event of an upload
   * fully handled, then replaced, announces it again: at least once, as SNS itself. A batch is announced only when
   * done, and only if its notification is not recorded as sent: one left part-way by a replacement has no summary to
   * give. Returns the outcome announced, if any.
   */
  private async announceEarlierOutcome(ref: ObjectRef): Promise<Outcome | 'batch' | undefined> {
    if (ref.etag === undefined) return undefined
    const upload: Upload = {bucket: ref.bucket, key: ref.key, etag: ref.etag, sequencer: ref.sequencer}
    const entryKey = quarantineKey(upload.key, upload)
    const [recorded, item, entry] = await Promise.all([
      this.outcomeRecord(upload),
      isBatchName(upload.key) ? undefined : this.itemFrom(upload),
      isBatchName(upload.key) ? undefined : this.entryMetadata(entryKey),
    ])
    const outcome = recorded?.[OUTCOMES_TABLE.attributes.outcome]?.S
    if (outcome === 'batch') return (await this.batches.announce(upload, recorded!)) ? outcome : undefined
    if (outcome === 'unchanged') {
      const {artistId, itemId} = OUTCOMES_TABLE.attributes
      const unchanged = {ArtistID: recorded![artistId].S!, ItemID: recorded![itemId].S!}
      await this.announceUnchanged(upload, unchanged, storedText(unchanged))
      return outcome
    }
    if (item) {
      // An upload under replace/ that replaced a different record was `replaced`: the item says (ep_change).
      const replaced =
        isReplaceKey(upload.key) && (await this.storedItem(item))?.[ITEM_METADATA.change]?.S === ITEM_CHANGES.replaced
      await (replaced ? this.announceReplaced(upload, item) : this.announceStored(upload, item))
      return replaced ? 'replaced' : 'stored'
    }
    if (!entry) return undefined
    const reason = entry[QUARANTINE_METADATA.reason] as QuarantineReason
    await this.announceQuarantine(upload, reason, valueFree(QUARANTINE_REASONS[reason] ?? reason), entryKey)
    return 'quarantined'
  }

  /** The outcome record of this upload (unchanged, or a batch's progress), if any. */
  private async outcomeRecord(upload: Upload): Promise<Record<string, AttributeValue> | undefined> {
    const {Item} = await this.deps.dynamodb.send(
      new GetItemCommand({
        TableName: this.deps.outcomesTable,
        Key: {[OUTCOMES_TABLE.partitionKey]: {S: upload.key}, [OUTCOMES_TABLE.sortKey]: {S: upload.etag}},
        ConsistentRead: true,
      }),
    )
    return Item
  }

  /** The item this very upload stored, found through the source-key index. */
  private async itemFrom(upload: Upload): Promise<ItemKey | undefined> {
    const pages = paginateQuery(
      {client: this.deps.dynamodb},
      {
        TableName: this.deps.table,
        IndexName: SOURCE_KEY_INDEX,
        KeyConditionExpression: '#key = :key',
        FilterExpression: '#etag = :etag',
        ExpressionAttributeNames: {'#key': ITEM_METADATA.sourceKey, '#etag': ITEM_METADATA.sourceEtag},
        ExpressionAttributeValues: {':key': {S: upload.key}, ':etag': {S: upload.etag}},
      },
    )
    for await (const page of pages) for (const item of page.Items ?? []) return itemKeyOf(item)
    return undefined
  }

  /**
   * The conditional put of one record (of a one-record object, or line `line` of a batch): stored, stored already by
   * an earlier try of this very upload (and line), the same record from elsewhere (`unchanged`), or a `duplicate`;
   * with `replace` (an upload under REPLACE_PREFIX), a different record replaces the stored item (`replaced`).
   */
  private async putRecord(upload: Upload, record: TypedItem, line?: number, replace = false): Promise<PutOutcome> {
    const item = {
      ...record,
      [ITEM_METADATA.sourceKey]: {S: upload.key},
      [ITEM_METADATA.sourceEtag]: {S: upload.etag},
      ...(line === undefined ? {} : {[ITEM_METADATA.sourceLine]: {N: String(line)}}),
      // The sequencer only orders; kept to show which event stored the item, when the event had one.
      ...(upload.sequencer ? {[ITEM_METADATA.sourceSequencer]: {S: upload.sequencer}} : {}),
      ...(upload.requestedBy ? {[ITEM_METADATA.changedBy]: {S: upload.requestedBy}} : {}),
      [ITEM_METADATA.ingestedAt]: {S: this.now().toISOString()},
      [ITEM_METADATA.version]: {N: '1'},
    }
    const itemKey = itemKeyOf(item)
    // A replacement that lost a race to another change looks again at what is stored now; a few rounds at most.
    for (let round = 1; ; round++) {
      const {put, existing} = await this.putNew(upload, item, record, line)
      if (put.kind !== 'duplicate' || !replace || !existing) return put
      let replaced: 'replaced' | 'conflict'
      try {
        replaced = await replaceVersion(this.versionStore(), existing, {
          ...item,
          [ITEM_METADATA.change]: {S: ITEM_CHANGES.replaced},
        })
      } catch (error) {
        if (isItemTooLarge(error)) return tooLarge(error)
        throw error
      }
      if (replaced === 'replaced') return {kind: 'replaced', item: itemKey}
      if (round === MAX_REPLACE_ROUNDS)
        throw Object.assign(new Error(`item ${JSON.stringify(itemKey)} keeps changing during its replacement`), {
          $retryable: {},
        })
    }
  }

  /** The put of a record as a new item; with a `duplicate`, the item stored under its key. */
  private async putNew(
    upload: Upload,
    item: StoredItem,
    record: TypedItem,
    line?: number,
  ): Promise<{put: PutOutcome; existing?: StoredItem}> {
    const itemKey = itemKeyOf(item)
    try {
      await this.deps.dynamodb.send(
        new PutItemCommand({
          TableName: this.deps.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: {'#pk': TABLE_KEY.partition},
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      return {put: {kind: 'stored', item: itemKey, alreadyStored: false}}
    } catch (error) {
      if (isItemTooLarge(error)) return {put: tooLarge(error)}
      if (!isConditionalCheckFailed(error)) throw error
      const existing = (error as ConditionalCheckFailedException).Item ?? (await this.storedItem(itemKey))
      // The item vanished between the put and the read (deleted meanwhile): let the retry put it again.
      if (!existing)
        throw Object.assign(new Error(`item ${JSON.stringify(itemKey)} changed during the conditional put; retrying`), {
          $retryable: {},
        })
      // This very upload (and line), stored or replaced by an earlier try; else the same record from elsewhere; else a
      // duplicate.
      if (isSameUpload(existing, upload, line))
        return {
          put:
            existing[ITEM_METADATA.change]?.S === ITEM_CHANGES.replaced
              ? {kind: 'replaced', item: itemKey}
              : {kind: 'stored', item: itemKey, alreadyStored: true},
        }
      const from = existing[ITEM_METADATA.sourceKey]?.S
      const fromLine = existing[ITEM_METADATA.sourceLine]?.N
      const stored = storedText(itemKey, from ? ` (from ${from}${fromLine ? `, line ${fromLine}` : ''})` : '')
      if (sameRecord(existing, record)) return {put: {kind: 'unchanged', item: itemKey, stored}}
      return {put: {kind: 'duplicate', item: itemKey, stored, version: versionOf(existing)}, existing}
    }
  }

  private versionStore(): VersionStore {
    const {dynamodb, table, historyTable, historyRetentionSeconds} = this.deps
    if (!historyTable) throw new Error('the processor was given no history table, so it cannot replace items')
    return {
      dynamodb,
      table,
      historyTable,
      historyRetentionSeconds: historyRetentionSeconds ?? DEFAULT_HISTORY_RETENTION_SECONDS,
      now: this.now,
    }
  }

  /** The whole stored item, to compare with the record (where DynamoDB did not return it with the failed put). */
  private async storedItem(itemKey: ItemKey) {
    const {Item} = await this.deps.dynamodb.send(
      new GetItemCommand({
        TableName: this.deps.table,
        Key: {[TABLE_KEY.partition]: {S: itemKey.ArtistID}, [TABLE_KEY.sort]: {S: itemKey.ItemID}},
        ConsistentRead: true,
      }),
    )
    return Item
  }

  /**
   * The record is already stored exactly so: nothing to store or quarantine. That leaves no item or entry of this
   * upload's own, so the outcome is recorded in the outcomes table (for `status` and `upload --wait`), then
   * notified, then the object removed. Each step may be repeated by a retry.
   */
  private async unchanged(upload: Upload, item: ItemKey, stored: string): Promise<ProcessResult> {
    const at = this.now()
    const {attributes} = OUTCOMES_TABLE
    await this.deps.dynamodb.send(
      new PutItemCommand({
        TableName: this.deps.outcomesTable,
        Item: {
          [OUTCOMES_TABLE.partitionKey]: {S: upload.key},
          [OUTCOMES_TABLE.sortKey]: {S: upload.etag},
          [attributes.outcome]: {S: 'unchanged'},
          [attributes.at]: {S: at.toISOString()},
          [attributes.artistId]: {S: item.ArtistID},
          [attributes.itemId]: {S: item.ItemID},
          [attributes.expiresAt]: {N: String(Math.floor(at.getTime() / 1000) + OUTCOMES_TABLE.retentionSeconds)},
        },
      }),
    )
    await this.announceUnchanged(upload, item, stored)
    await this.removeOriginal(upload)
    return {outcome: 'unchanged', key: upload.key, item}
  }

  private announceUnchanged(upload: Upload, item: ItemKey, stored: string): Promise<void> {
    return this.notify(upload, {
      outcome: 'unchanged',
      subject: `EventPulse: unchanged ${item.ArtistID} / ${item.ItemID}`,
      message: `${upload.key} was not stored again: ${stored} with the same content.`,
      item,
    })
  }

  private async quarantine(
    upload: Upload,
    bytes: Uint8Array,
    reason: QuarantineReason,
    problem: Problem,
    item?: ItemKey,
    judgedVersion?: number,
  ): Promise<ProcessResult> {
    const target = await this.writeEntry(upload, bytes, reason, problem.message, undefined, judgedVersion)
    return this.finishQuarantine(upload, reason, problem, target, item)
  }

  /**
   * Writes the quarantine entry of an upload (or of line `line` of a batch upload) from the bytes already read, and
   * returns its key; an entry already there is this upload's, from an earlier try. `file`: the file a packed line
   * came from.
   */
  private async writeEntry(
    upload: Upload,
    bytes: Uint8Array,
    reason: QuarantineReason,
    message: string,
    line?: number,
    judgedVersion?: number,
    file?: string,
  ): Promise<string> {
    const target = quarantineKey(upload.key, upload, line)
    const at = this.now().toISOString()
    try {
      await this.deps.s3.send(
        new PutObjectCommand({
          Bucket: this.deps.quarantineBucket,
          Key: target,
          Body: bytes,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          Metadata: quarantineMetadata(upload, reason, message, at, line, judgedVersion, file),
          Tagging: quarantineTagging(reason, upload.etag, at),
        }),
      )
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error
      if (upload.releaseId !== undefined) this.mustBeOwnEntry(upload, await this.entryMetadata(target))
    }
    return target
  }

  /**
   * An object S3 will not let the processor read gets an entry of its own with no content (none could be read), so
   * it is not retried into the dead-letter queue; the uploader still has the file.
   */
  private async quarantineUnreadable(ref: ObjectRef, code: string): Promise<ProcessResult> {
    const upload: Upload = {bucket: ref.bucket, key: ref.key, etag: ref.etag ?? '', sequencer: ref.sequencer}
    const message =
      `S3 refused to let the processor read the object (${code}); the entry holds no content: upload it again ` +
      'unencrypted or with SSE-S3, in the STANDARD storage class'
    const target = await this.writeEntry(upload, new Uint8Array(), 'unreadable', message)
    return this.finishQuarantine(upload, 'unreadable', valueFree(message), target)
  }

  /** An object over the cap is copied within S3, never downloaded. */
  private async quarantineOversized(upload: Upload, size: number): Promise<ProcessResult> {
    const message = isBatchName(upload.key)
      ? `the batch object is ${size} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split it`
      : `the object is ${size} bytes; the limit is ${MAX_OBJECT_BYTES} bytes (1 MiB)`
    const copied = await this.copyEntry(upload, 'too-large', message)
    if (copied.skipped) return {outcome: 'skipped', key: upload.key, why: copied.skipped}
    return this.finishQuarantine(upload, 'too-large', valueFree(message), copied.target)
  }

  /**
   * Copies the upload whole into its quarantine entry (of line `line` of a batch, when given) within S3, and returns
   * the entry's key; an entry already there is this upload's, from an earlier try. `skipped` when the upload is gone
   * or replaced by a newer one: nothing was copied.
   */
  private async copyEntry(
    upload: Upload,
    reason: QuarantineReason,
    message: string,
    line?: number,
  ): Promise<{target: string; skipped?: 'gone' | 'superseded'}> {
    const target = quarantineKey(upload.key, upload, line)
    const at = this.now().toISOString()
    try {
      await this.deps.s3.send(
        new CopyObjectCommand({
          Bucket: this.deps.quarantineBucket,
          Key: target,
          CopySource: `${upload.bucket}/${encodeURIComponent(upload.key)}`,
          CopySourceIfMatch: quoted(upload.etag),
          IfNoneMatch: '*',
          MetadataDirective: 'REPLACE',
          Metadata: quarantineMetadata(upload, reason, message, at, line),
          TaggingDirective: 'REPLACE',
          Tagging: quarantineTagging(reason, upload.etag, at),
        }),
      )
    } catch (error) {
      if (isNoSuchKey(error)) return {target, skipped: 'gone'}
      if (!isPreconditionFailed(error)) throw error
      // Either the entry exists (an earlier try copied it) or the source is a newer upload now.
      const entry = await this.entryMetadata(target)
      if (!entry) return {target, skipped: 'superseded'}
      this.mustBeOwnEntry(upload, entry)
    }
    return {target}
  }

  /** Notifies and removes the original; what leaves the processor (notification, result, log line) has no values. */
  private async finishQuarantine(
    upload: Upload,
    reason: QuarantineReason,
    problem: Problem,
    target: string,
    item?: ItemKey,
  ): Promise<ProcessResult> {
    await this.announceQuarantine(upload, reason, problem, target, item)
    await this.removeOriginal(upload)
    return {outcome: 'quarantined', key: upload.key, reason, message: problem.summary, quarantineKey: target, item}
  }

  private announceQuarantine(
    upload: Upload,
    reason: QuarantineReason,
    problem: Problem,
    target: string,
    item?: ItemKey,
  ): Promise<void> {
    return this.notify(upload, {
      outcome: 'quarantined',
      reason,
      subject: `EventPulse: quarantined (${reason})`,
      message: `${upload.key} was quarantined (${reason}): ${problem.summary}`,
      quarantineBucket: this.deps.quarantineBucket,
      quarantineKey: target,
      item,
    })
  }

  /** The user metadata of a quarantine entry, or undefined when there is none. */
  private async entryMetadata(key: string): Promise<Record<string, string> | undefined> {
    try {
      const head = await this.deps.s3.send(new HeadObjectCommand({Bucket: this.deps.quarantineBucket, Key: key}))
      return head.Metadata ?? {}
    } catch (error) {
      if (isNoSuchKey(error)) return undefined
      throw error
    }
  }

  /**
   * An upload that `quarantine release` put back has the same bytes, so the same entry id, as the entry it came from.
   * Until the release removes that entry (right after putting the object back), the entry found is not this upload's:
   * finishing now would leave the release to delete the only copy. So retry until the entry is gone or is ours.
   */
  private mustBeOwnEntry(upload: Upload, entry: Record<string, string> | undefined): void {
    if (upload.releaseId !== undefined && entry?.[QUARANTINE_METADATA.releaseId] !== upload.releaseId)
      throw Object.assign(
        new Error(`${upload.key} was released from quarantine, and its entry is not removed yet; retrying`),
        {$retryable: {}},
      )
  }

  /**
   * Published before the original is removed: a crash in between repeats the publish on retry (at least once),
   * rather than losing it.
   */
  private notify(upload: Upload, content: NotificationContent) {
    return this.deps.notifier.publish({
      ...content,
      bucket: upload.bucket,
      sourceKey: upload.key,
      etag: upload.etag,
      sequencer: upload.sequencer,
      at: this.now().toISOString(),
      ...(isSelftestKey(upload.key) ? {canary: true as const} : {}),
    })
  }

  /**
   * Removes this upload, and only this one: If-Match on its ETag (never a version id: the processing bucket is not
   * versioned), so a new upload under the same key made meanwhile stays for its own event. A 412 means exactly that;
   * a missing object, that it is done.
   */
  private async removeOriginal(upload: Upload): Promise<void> {
    try {
      await this.deps.s3.send(
        new DeleteObjectCommand({Bucket: upload.bucket, Key: upload.key, IfMatch: quoted(upload.etag)}),
      )
    } catch (error) {
      if (!isPreconditionFailed(error) && !isNoSuchKey(error)) throw error
    }
  }
}

/**
 * The stored item came from this very upload (same key and ETag): a redelivered event, a sweep, a retry after a
 * partial failure, or the same bytes sent again under the same key. The sequencer only orders events; it is not
 * compared (a sweep has none, and some implementations send a constant one).
 */
function isSameUpload(existing: Record<string, {S?: string; N?: string}>, upload: Upload, line?: number): boolean {
  return (
    existing[ITEM_METADATA.sourceKey]?.S === upload.key &&
    existing[ITEM_METADATA.sourceEtag]?.S === upload.etag &&
    existing[ITEM_METADATA.sourceLine]?.N === (line === undefined ? undefined : String(line))
  )
}

const storedText = (item: ItemKey, source = '') =>
  `ArtistID "${item.ArtistID}", ItemID "${item.ItemID}" is already stored${source}`

const tooLarge = (error: unknown): PutOutcome => ({
  kind: 'too-large',
  message: `DynamoDB refused the item as too large: ${(error as Error).message}`,
})

function isItemTooLarge(error: unknown): boolean {
  const err = error as {name?: string; message?: string}
  return err?.name === 'ValidationException' && /item size/i.test(err.message ?? '')
}
