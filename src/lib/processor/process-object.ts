import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

import {MAX_OBJECT_BYTES} from '#contract/limits.js'
import {
  encodeMetadataValue,
  ITEM_METADATA,
  QUARANTINE_METADATA,
  QUARANTINE_REASONS,
  type QuarantineReason,
  quarantineKey,
  TABLE_KEY,
} from '#contract/pipeline-contract.js'
import {checkRecord} from '#record/check-record.js'
import type {TypedItem, TypedValue} from '#record/typed-item.js'
import {isConditionalCheckFailed, isNoSuchKey, isPreconditionFailed, unquoteEtag} from '#core/aws-responses.js'
import type {ObjectRef} from './event.js'
import type {Notification, Notifier} from './notifier.js'

export interface ProcessorDeps {
  s3: S3Client
  dynamodb: DynamoDBClient
  notifier: Notifier
  quarantineBucket: string
  table: string
  now?: () => Date
}

export interface ItemKey {
  ArtistID: string
  ItemID: string
}

/**
 * What became of one upload. `skipped`: nothing left to do, because the object is no longer there (an event
 * delivered again after the upload was fully handled) or a newer upload replaced it (that upload has its own event).
 */
export type ProcessResult =
  | {outcome: 'stored'; key: string; item: ItemKey; alreadyStored: boolean}
  | {
      outcome: 'quarantined'
      key: string
      reason: QuarantineReason
      message: string
      quarantineKey: string
      item?: ItemKey
    }
  | {outcome: 'skipped'; key: string; why: 'gone' | 'superseded'}

/** S3 allows 2 KB of user metadata in all (names and values); keep clear of it. */
const METADATA_BUDGET_BYTES = 1900
const MAX_MESSAGE_CHARS = 300

const itemKeyOf = (item: Record<string, TypedValue | {S?: string}>): ItemKey => ({
  ArtistID: (item[TABLE_KEY.partition] as {S: string}).S,
  ItemID: (item[TABLE_KEY.sort] as {S: string}).S,
})
const quoted = (etag: string): string => `"${etag}"`

type Read =
  {kind: 'bytes'; bytes: Uint8Array} | {kind: 'too-large'; size: number} | {kind: 'gone'} | {kind: 'superseded'}

/**
 * Reads the upload the event names, and only that upload: If-Match on the event's ETag, checked again on the
 * answer because a local S3 may ignore the header. An object over the cap is left unread.
 */
async function readUpload(ref: ObjectRef, s3: S3Client): Promise<Read> {
  let response
  try {
    response = await s3.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        VersionId: ref.versionId,
        IfMatch: ref.versionId ? undefined : quoted(ref.etag),
      }),
    )
  } catch (error) {
    if (isNoSuchKey(error)) return {kind: 'gone'}
    if (isPreconditionFailed(error)) return {kind: 'superseded'}
    throw error
  }
  const body = response.Body!
  const discard = () => (body as unknown as {destroy?: () => void}).destroy?.()
  if (!ref.versionId && response.ETag && unquoteEtag(response.ETag) !== ref.etag) {
    discard()
    return {kind: 'superseded'}
  }
  if ((response.ContentLength ?? 0) > MAX_OBJECT_BYTES) {
    discard()
    return {kind: 'too-large', size: response.ContentLength!}
  }
  return {kind: 'bytes', bytes: await body.transformToByteArray()}
}

function quarantineMetadata(
  ref: ObjectRef,
  reason: QuarantineReason,
  message: string,
  at: string,
): Record<string, string> {
  const metadata: Record<string, string> = {
    [QUARANTINE_METADATA.reason]: reason,
    [QUARANTINE_METADATA.sourceEtag]: ref.etag,
    [QUARANTINE_METADATA.sourceSequencer]: ref.sequencer,
    [QUARANTINE_METADATA.quarantinedAt]: at,
  }
  const size = (entries: Record<string, string>) =>
    Object.entries(entries).reduce((sum, [k, v]) => sum + k.length + v.length, 0)
  const sourceKey = encodeMetadataValue(ref.key)
  if (size(metadata) + QUARANTINE_METADATA.sourceKey.length + sourceKey.length <= METADATA_BUDGET_BYTES / 2)
    metadata[QUARANTINE_METADATA.sourceKey] = sourceKey
  const room = METADATA_BUDGET_BYTES - size(metadata) - QUARANTINE_METADATA.message.length
  let text = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message
  while (encodeMetadataValue(text).length > room) text = `${text.slice(0, Math.floor(text.length * 0.8))}…`
  metadata[QUARANTINE_METADATA.message] = encodeMetadataValue(text)
  return metadata
}

/** A human line from the record check: the first problem, located. */
function describeProblems(
  reason: QuarantineReason,
  problems: {path: string; line?: number; column?: number; message: string}[],
): string {
  const [first] = problems
  if (!first) return QUARANTINE_REASONS[reason]
  const where = first.line === undefined ? '' : `line ${first.line}, column ${first.column}: `
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
  return `${where}${first.message}${more}`
}

export class ObjectProcessor {
  private readonly now: () => Date

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  /**
   * Turns one upload into a stored item or a quarantine entry, then removes it from the processing bucket.
   * Every step is idempotent, so a retry after a failure at any point finishes the job without a second
   * item, a second quarantine entry or a false duplicate. Transient AWS errors are thrown (after the SDK's
   * own retries) so the invocation is retried; nothing is quarantined because of them.
   */
  async process(ref: ObjectRef): Promise<ProcessResult> {
    if (ref.size !== undefined && ref.size > MAX_OBJECT_BYTES) return this.quarantineOversized(ref, ref.size)
    const read = await readUpload(ref, this.deps.s3)
    if (read.kind === 'gone' || read.kind === 'superseded') return {outcome: 'skipped', key: ref.key, why: read.kind}
    if (read.kind === 'too-large') return this.quarantineOversized(ref, read.size)

    const check = checkRecord(read.bytes)
    if (!check.ok) return this.quarantine(ref, read.bytes, check.reason, describeProblems(check.reason, check.problems))
    return this.store(ref, read.bytes, check.item)
  }

  private async store(ref: ObjectRef, bytes: Uint8Array, record: TypedItem): Promise<ProcessResult> {
    const item = {
      ...record,
      [ITEM_METADATA.sourceKey]: {S: ref.key},
      [ITEM_METADATA.sourceEtag]: {S: ref.etag},
      [ITEM_METADATA.sourceSequencer]: {S: ref.sequencer},
      [ITEM_METADATA.ingestedAt]: {S: this.now().toISOString()},
    }
    const itemKey = itemKeyOf(item)
    let alreadyStored = false
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
    } catch (error) {
      if (isItemTooLarge(error))
        return this.quarantine(
          ref,
          bytes,
          'too-large',
          `DynamoDB refused the item as too large: ${(error as Error).message}`,
        )
      if (!isConditionalCheckFailed(error)) throw error
      const existing = (error as ConditionalCheckFailedException).Item ?? (await this.storedItem(itemKey))
      // The item vanished between the put and the read (deleted meanwhile): let the retry put it again.
      if (!existing)
        throw Object.assign(new Error(`item ${JSON.stringify(itemKey)} changed during the conditional put; retrying`), {
          $retryable: {},
        })
      if (!isSameUpload(existing, ref)) {
        const from = existing[ITEM_METADATA.sourceKey]?.S
        const message = `ArtistID "${itemKey.ArtistID}", ItemID "${itemKey.ItemID}" is already stored${from ? ` (from ${from})` : ''}`
        return this.quarantine(ref, bytes, 'duplicate', message, itemKey)
      }
      alreadyStored = true
    }
    await this.notify(ref, {
      outcome: 'stored',
      subject: `EventPulse: stored ${itemKey.ArtistID} / ${itemKey.ItemID}`,
      message: `${ref.key} was stored as ArtistID "${itemKey.ArtistID}", ItemID "${itemKey.ItemID}".`,
      item: itemKey,
    })
    await this.removeOriginal(ref)
    return {outcome: 'stored', key: ref.key, item: itemKey, alreadyStored}
  }

  private async storedItem(itemKey: ItemKey) {
    const {Item} = await this.deps.dynamodb.send(
      new GetItemCommand({
        TableName: this.deps.table,
        Key: {[TABLE_KEY.partition]: {S: itemKey.ArtistID}, [TABLE_KEY.sort]: {S: itemKey.ItemID}},
        ConsistentRead: true,
        ProjectionExpression: '#s, #e, #q',
        ExpressionAttributeNames: {
          '#s': ITEM_METADATA.sourceKey,
          '#e': ITEM_METADATA.sourceEtag,
          '#q': ITEM_METADATA.sourceSequencer,
        },
      }),
    )
    return Item
  }

  /** Writes the quarantine entry from the bytes already read; an entry already there is this upload's, from an earlier try. */
  private async quarantine(
    ref: ObjectRef,
    bytes: Uint8Array,
    reason: QuarantineReason,
    message: string,
    item?: ItemKey,
  ): Promise<ProcessResult> {
    const target = quarantineKey(ref.key, ref)
    try {
      await this.deps.s3.send(
        new PutObjectCommand({
          Bucket: this.deps.quarantineBucket,
          Key: target,
          Body: bytes,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          Metadata: quarantineMetadata(ref, reason, message, this.now().toISOString()),
        }),
      )
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error
    }
    return this.finishQuarantine(ref, reason, message, target, item)
  }

  /** An object over the cap is copied within S3, never downloaded. */
  private async quarantineOversized(ref: ObjectRef, size: number): Promise<ProcessResult> {
    const message = `the object is ${size} bytes; the limit is ${MAX_OBJECT_BYTES} bytes (1 MiB)`
    const target = quarantineKey(ref.key, ref)
    try {
      await this.deps.s3.send(
        new CopyObjectCommand({
          Bucket: this.deps.quarantineBucket,
          Key: target,
          CopySource: `${ref.bucket}/${encodeURIComponent(ref.key)}${ref.versionId ? `?versionId=${encodeURIComponent(ref.versionId)}` : ''}`,
          CopySourceIfMatch: ref.versionId ? undefined : quoted(ref.etag),
          IfNoneMatch: '*',
          MetadataDirective: 'REPLACE',
          Metadata: quarantineMetadata(ref, 'too-large', message, this.now().toISOString()),
        }),
      )
    } catch (error) {
      if (isNoSuchKey(error)) return {outcome: 'skipped', key: ref.key, why: 'gone'}
      if (!isPreconditionFailed(error)) throw error
      // Either the entry exists (an earlier try copied it) or the source is a newer upload now.
      if (!(await this.exists(this.deps.quarantineBucket, target)))
        return {outcome: 'skipped', key: ref.key, why: 'superseded'}
    }
    return this.finishQuarantine(ref, 'too-large', message, target)
  }

  private async finishQuarantine(
    ref: ObjectRef,
    reason: QuarantineReason,
    message: string,
    target: string,
    item?: ItemKey,
  ): Promise<ProcessResult> {
    await this.notify(ref, {
      outcome: 'quarantined',
      reason,
      subject: `EventPulse: quarantined (${reason})`,
      message: `${ref.key} was quarantined (${reason}): ${message}`,
      quarantineBucket: this.deps.quarantineBucket,
      quarantineKey: target,
      item,
    })
    await this.removeOriginal(ref)
    return {outcome: 'quarantined', key: ref.key, reason, message, quarantineKey: target, item}
  }

  private async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.deps.s3.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
      return true
    } catch (error) {
      if (isNoSuchKey(error)) return false
      throw error
    }
  }

  /**
   * Published before the original is removed: a crash in between repeats the publish on retry (at least once),
   * rather than losing it.
   */
  private notify(
    ref: ObjectRef,
    content: Pick<
      Notification,
      'outcome' | 'reason' | 'subject' | 'message' | 'item' | 'quarantineBucket' | 'quarantineKey'
    >,
  ) {
    return this.deps.notifier.publish({
      ...content,
      bucket: ref.bucket,
      sourceKey: ref.key,
      etag: ref.etag,
      sequencer: ref.sequencer,
      at: this.now().toISOString(),
    })
  }

  /**
   * Removes this upload, and only this one: If-Match on its ETag (or its version id), so a new upload under the
   * same key made meanwhile stays for its own event. A 412 means exactly that; a missing object, that it is done.
   */
  private async removeOriginal(ref: ObjectRef): Promise<void> {
    try {
      await this.deps.s3.send(
        new DeleteObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          VersionId: ref.versionId,
          IfMatch: ref.versionId ? undefined : quoted(ref.etag),
        }),
      )
    } catch (error) {
      if (!isPreconditionFailed(error) && !isNoSuchKey(error)) throw error
    }
  }
}

/** The stored item came from this very upload: a redelivered event or a retry after a partial failure. */
function isSameUpload(existing: Record<string, {S?: string}>, ref: ObjectRef): boolean {
  return (
    existing[ITEM_METADATA.sourceKey]?.S === ref.key &&
    existing[ITEM_METADATA.sourceEtag]?.S === ref.etag &&
    existing[ITEM_METADATA.sourceSequencer]?.S === ref.sequencer
  )
}

function isItemTooLarge(error: unknown): boolean {
  const err = error as {name?: string; message?: string}
  return err?.name === 'ValidationException' && /item size/i.test(err.message ?? '')
}
