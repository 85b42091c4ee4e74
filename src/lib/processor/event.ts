import {randomUUID} from 'node:crypto'

import {unquoteEtag} from '#core/aws-responses.js'

/**
 * The EventBridge "Object Created" event S3 sends for each new object, as the processor receives it. Read tolerantly:
 * implementations differ in the key's encoding, the ETag's spelling, and which fields they send at all.
 */
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
    object: {
      /** URL-encoded as in S3 notifications ('+' for a space), or raw. */
      key: string
      size?: number
      etag?: string
      eTag?: string
      sequencer?: string
      /** Ignored: the processing bucket is not versioned (some implementations send "null"). */
      'version-id'?: string
    }
    'request-id'?: string
    requester?: string
    'source-ip-address'?: string
    reason?: string
  }
}

/** One upload to process: where it is and which upload it was. */
export interface ObjectRef {
  bucket: string
  /** The key as stored in S3: the event's key decoded, or as it came when it is not URL-encoded. */
  key: string
  /** The event's key as it came, when that differs from `key`: tried when `key` names no object or another upload. */
  rawKey?: string
  /** Size from the event, when it says; lets an oversized object be quarantined without downloading it. */
  size?: number
  /** ETag without quotes; absent when the event carries none, and the object is then handled as it is now. */
  etag?: string
  /** Orders the events of one key; never part of an upload's identity, and absent from some events. */
  sequencer?: string
}

/** S3 URL-encodes keys in notifications, with '+' for a space (form encoding). */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '))
}

/** The encoding S3 applies to keys in notifications; the inverse of decodeEventKey. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+')
}

/** The keys an event's key may stand for, the decoded one first; one when both agree or it does not decode. */
export function eventKeyCandidates(key: string): string[] {
  let decoded: string
  try {
    decoded = decodeEventKey(key)
  } catch {
    return [key]
  }
  return decoded === key ? [key] : [decoded, key]
}

/** The object key an event names, for people and for ordering events per key; undefined when it names none. */
export function eventObjectKey(event: unknown): string | undefined {
  const key = (event as Partial<ObjectCreatedEvent>)?.detail?.object?.key
  return typeof key === 'string' ? eventKeyCandidates(key)[0] : undefined
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidEventError'
  }
}

function objectRef(event: ObjectCreatedEvent): ObjectRef {
  const {bucket, object} = event?.detail ?? {}
  if (
    event?.['detail-type'] !== 'Object Created' ||
    event.source !== 'aws.s3' ||
    !bucket?.name ||
    typeof object?.key !== 'string' ||
    object.key === ''
  )
    throw new InvalidEventError(`not an S3 "Object Created" event: ${JSON.stringify(event)?.slice(0, 300)}`)
  const [key, rawKey] = eventKeyCandidates(object.key)
  const etag = object.etag ?? object.eTag
  return {
    bucket: bucket.name,
    key,
    rawKey,
    size: typeof object.size === 'number' ? object.size : undefined,
    etag: typeof etag === 'string' && etag !== '' ? unquoteEtag(etag) : undefined,
    sequencer: typeof object.sequencer === 'string' && object.sequencer !== '' ? object.sequencer : undefined,
  }
}

/**
 * The uploads named by what the handler was invoked with: one EventBridge event (the rule's normal delivery),
 * an array of them, or an SQS batch whose bodies are such events (a redrive from the dead-letter queue).
 * Anything it cannot understand throws, so the invocation fails and ends in the dead-letter queue, event and all.
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
