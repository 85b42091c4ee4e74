import {randomUUID} from 'node:crypto'

import {unquoteEtag} from '#core/aws-responses.js'

/** The EventBridge "Object Created" event S3 sends for each new object, as the processor receives it. */
export interface ObjectCreatedEvent {
  version: string
  id: string
  'detail-type': 'Object Created'
  source: 'aws.s3'
  account: string
  time: string
  region: string
  resources: string[]
  detail: {
    version: string
    bucket: {name: string}
    object: {key: string; size?: number; etag?: string; sequencer?: string; 'version-id'?: string}
    'request-id'?: string
    requester?: string
    'source-ip-address'?: string
    reason?: string
  }
}

/** One upload to process: where it is and which upload it was (ETag, sequencer, version). */
export interface ObjectRef {
  bucket: string
  /** The key as stored in S3 (decoded). */
  key: string
  /** Size from the event, when it says; lets an oversized object be quarantined without downloading it. */
  size?: number
  /** ETag without quotes. */
  etag: string
  sequencer: string
  versionId?: string
}

/** S3 URL-encodes keys in notifications, with '+' for a space (form encoding). */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '))
}

/** The encoding S3 applies to keys in notifications; the inverse of decodeEventKey. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+')
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidEventError'
  }
}

function objectRef(event: ObjectCreatedEvent): ObjectRef {
  const {bucket, object} = event.detail ?? {}
  if (
    event['detail-type'] !== 'Object Created' ||
    event.source !== 'aws.s3' ||
    !bucket?.name ||
    typeof object?.key !== 'string'
  )
    throw new InvalidEventError(`not an S3 "Object Created" event: ${JSON.stringify(event).slice(0, 300)}`)
  if (!object.etag || !object.sequencer)
    throw new InvalidEventError(`the event for ${object.key} carries no etag or sequencer`)
  let key: string
  try {
    key = decodeEventKey(object.key)
  } catch {
    throw new InvalidEventError(`the event's object key is not URL-encoded: ${object.key}`)
  }
  return {
    bucket: bucket.name,
    key,
    size: typeof object.size === 'number' ? object.size : undefined,
    etag: unquoteEtag(object.etag),
    sequencer: object.sequencer,
    versionId: object['version-id'],
  }
}

/**
 * The uploads named by what the handler was invoked with: one EventBridge event (the rule's normal delivery),
 * an array of them, or an SQS batch whose bodies are such events (a redrive from the dead-letter queue).
 */
export function objectRefs(input: unknown): ObjectRef[] {
  if (Array.isArray(input)) return input.flatMap((event) => objectRefs(event))
  const records = (input as {Records?: {body?: string}[]})?.Records
  if (Array.isArray(records)) return records.flatMap((record) => objectRefs(JSON.parse(record.body ?? 'null')))
  return [objectRef(input as ObjectCreatedEvent)]
}

/**
 * An EventBridge "Object Created" event for an object, shaped as S3 sends it (key URL-encoded), without the fields
 * only S3 knows (request id, requester, source address); the sequencer too is S3's, so a sweep has none.
 */
export function s3ObjectCreatedEvent(object: {
  account: string
  region: string
  bucket: string
  key: string
  size: number
  etag: string
  sequencer?: string
}): ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: object.account,
    time: new Date().toISOString(),
    region: object.region,
    resources: [`arn:aws:s3:::${object.bucket}`],
    detail: {
      version: '0',
      bucket: {name: object.bucket},
      object: {key: encodeEventKey(object.key), size: object.size, etag: object.etag, sequencer: object.sequencer},
    },
  }
}
