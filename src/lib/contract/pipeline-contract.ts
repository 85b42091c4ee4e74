import {createHash} from 'node:crypto'

import {MAX_S3_KEY_BYTES, MAX_SOURCE_KEY_BYTES} from './limits.js'

/**
 * Names shared by the processor Lambda, the CLI, the local pipeline and the CDK stack.
 * Change a name here and every side follows; nothing else spells them out.
 */

/** Why an object was quarantined: the one vocabulary used in object metadata, SNS attributes and CLI output. */
export const QUARANTINE_REASONS = {
  'invalid-json': 'the object is not well-formed JSON',
  'not-utf8': 'the object is not UTF-8 text',
  'too-large': 'the object or the item it makes is over the size limit',
  schema: 'the record does not match the item schema',
  duplicate: 'an item with the same ArtistID and ItemID is already stored',
  unreadable: 'S3 would not let the processor read the object (access denied, a customer-provided key, archived)',
} as const

export type QuarantineReason = keyof typeof QUARANTINE_REASONS

export function isQuarantineReason(value: unknown): value is QuarantineReason {
  return typeof value === 'string' && Object.hasOwn(QUARANTINE_REASONS, value)
}

/**
 * What became of one upload, as notifications, logs, `status` and `upload --wait` name it. `unchanged`: the record is
 * already stored exactly so (a re-sent record), so nothing was stored or quarantined. `replaced`: a record sent to
 * replace what is stored (under REPLACE_PREFIX, an accepted duplicate, a revert) became the item's new version.
 */
export type Outcome = 'stored' | 'quarantined' | 'unchanged' | 'replaced'

/**
 * Uploads under this prefix of the processing bucket replace what is stored under their ArtistID + ItemID (a new
 * version, the old one kept in the history table) instead of being quarantined as duplicates. Only the roles the
 * stack allows may write under it (IAM and the bucket policy say so; the local S3 checks the same).
 */
export const REPLACE_PREFIX = 'replace/'

export const isReplaceKey = (key: string): boolean => key.startsWith(REPLACE_PREFIX)

/**
 * `eventpulse selftest` sends canary records through the real pipeline: under this ArtistID, which no other record may
 * use, and under this key prefix of the processing bucket, which only the selftest role may write (IAM and the bucket
 * policy say so; the local S3 checks the same). A canary anywhere else is quarantined as `schema`. Its items, entries
 * and uploads are the only ones the selftest role may delete.
 */
export const SELFTEST_ARTIST_ID = 'eventpulse-selftest'
export const SELFTEST_PREFIX = 'selftest/'

export const isSelftestKey = (key: string): boolean => key.startsWith(SELFTEST_PREFIX)

/** S3 user metadata written on every quarantined object (S3 lower-cases and prefixes them with x-amz-meta-). */
export const QUARANTINE_METADATA = {
  reason: 'ep-reason',
  message: 'ep-message',
  sourceKey: 'ep-source-key',
  sourceEtag: 'ep-source-etag',
  sourceSequencer: 'ep-source-sequencer',
  quarantinedAt: 'ep-quarantined-at',
  /** The record's 1-based line in its batch object; absent for an entry holding a whole object. */
  sourceLine: 'ep-source-line',
  /**
   * The file a record of a batch `upload --batch` packed came from, as the uploader named it (PACKED_LINE): the
   * uploader's word, shown next to the batch key and line. Left out when it does not fit the metadata.
   */
  sourceFile: 'ep-source-file',
  /**
   * Set by `quarantine release` on the object it puts back (a new id each time) and kept on the entry that object
   * makes if quarantined again: the same bytes give the same entry id, so this tells the released entry, which the
   * release is about to remove, from the processor's own entry of an earlier try.
   */
  releaseId: 'ep-release-id',
  /**
   * On a `duplicate` entry: the version (ITEM_METADATA.version) of the stored item the record was judged against, so
   * `quarantine accept` replaces that item only if it is still the one.
   */
  judgedVersion: 'ep-judged-version',
} as const

/**
 * A line of a batch that `upload --batch` packed carries the file its record came from, the record wrapped as
 * `{"ep_packed_file":"<file>","record":<the record's bytes>}` (exactly so, no spaces). Whoever reads batch lines
 * (record/batch-lines.ts) takes the record out and checks it alone, so the wrapper adds nothing to a record: a line
 * not exactly of this form is a record as it is (and `ep_packed_file` is no attribute the item schema admits).
 */
export const PACKED_LINE = {fileField: 'ep_packed_file', recordField: 'record'} as const

/**
 * S3 user metadata the CLI writes on a replacement it uploads: who sent it, as the CLI knows it (the role session
 * name; locally the role). What it says is the sender's word; who may replace at all is IAM's to say (REPLACE_PREFIX).
 */
export const UPLOAD_METADATA = {requestedBy: 'ep-requested-by'} as const

/**
 * Object tags on every quarantine entry: what `status` and `upload --wait` read with the uploader's rights
 * (s3:GetObjectTagging), which never include reading a quarantined record. Tag values allow only letters, digits,
 * spaces and `+ - = . _ : / @`: a reason code and an ETag fit; a message does not (it stays in the metadata).
 */
export const QUARANTINE_TAGS = {
  reason: 'ep-reason',
  sourceEtag: 'ep-source-etag',
  quarantinedAt: 'ep-quarantined-at',
} as const

/** The x-amz-tagging value (URL query form) for a quarantine entry. */
export function quarantineTagging(reason: string, sourceEtag: string, quarantinedAt: string): string {
  return new URLSearchParams({
    [QUARANTINE_TAGS.reason]: reason,
    [QUARANTINE_TAGS.sourceEtag]: sourceEtag,
    [QUARANTINE_TAGS.quarantinedAt]: quarantinedAt,
  }).toString()
}

/**
 * Attributes the pipeline adds to each stored item, named apart from the record's own attributes
 * (the item schema admits none of them, so a record can never collide with them).
 */
export const ITEM_METADATA = {
  sourceKey: 'ep_source_key',
  sourceEtag: 'ep_source_etag',
  sourceSequencer: 'ep_source_sequencer',
  ingestedAt: 'ep_ingested_at',
  /** The record's line in its batch object (a batch's records share key and ETag); absent for a one-record object. */
  sourceLine: 'ep_source_line',
  /** 1 when first stored, one more at each replacement (an item stored before versions existed counts as 1). */
  version: 'ep_version',
  /** How this version came: ITEM_CHANGES; absent for a first store from an upload. */
  change: 'ep_change',
  /** Who made this version, where known (the role session name; locally the role). */
  changedBy: 'ep_changed_by',
} as const

/** How a version of an item came to be: a first upload, a replacing upload, an accepted duplicate entry, a revert. */
export const ITEM_CHANGES = {
  stored: 'stored',
  replaced: 'replaced',
  accepted: 'accepted',
  reverted: 'reverted',
} as const
export type ItemChange = keyof typeof ITEM_CHANGES

/** The table's key and the index that finds a stored item by the object key it came from. */
export const TABLE_KEY = {partition: 'ArtistID', sort: 'ItemID'} as const
export const SOURCE_KEY_INDEX = 'BySourceKey'
/** The history table's index of kept versions by the object key they came from (HISTORY_TABLE.sourceKeyIndex). */
export const HISTORY_SOURCE_KEY_INDEX = 'VersionsBySourceKey'

/**
 * SNS message attributes that subscriptions can filter on. A batch's one notification carries `kind` = `batch` and
 * `outcome` as a String.Array of the outcomes present (and `reason` of the reasons), so a filter on
 * `outcome` = `quarantined` matches a batch with any quarantined record.
 */
export const NOTIFICATION_ATTRIBUTES = {outcome: 'outcome', reason: 'reason', kind: 'kind', canary: 'canary'} as const

/**
 * The `canary` attribute's value on the notifications of selftest uploads (SELFTEST_PREFIX): the stack's selftest queue
 * subscribes to these only, and the e-mail subscription leaves them out.
 */
export const CANARY_ATTRIBUTE_VALUE = 'true'

/**
 * The processor's CloudWatch metrics, in the embedded metric format (one JSON document per invocation in its log),
 * which the stack's dashboard and alarms read. Each counts uploads, or a batch's records: stored, replaced, unchanged,
 * quarantined (by reason), skipped, failed (a try that threw; it is retried) and recovered by the sweep. Every metric
 * carries the service and the processing bucket as dimensions, so two pipelines in one account and region stay apart;
 * Quarantined carries the reason too. Eleven custom metrics in all.
 */
export const METRICS = {
  namespace: 'EventPulse',
  /** The processor's service name, in its log lines and as the metrics' `service` dimension (Powertools names it). */
  service: 'eventpulse-processor',
  dimensions: {service: 'service', bucket: 'Bucket', reason: 'Reason'},
  names: {
    stored: 'Stored',
    replaced: 'Replaced',
    unchanged: 'Unchanged',
    quarantined: 'Quarantined',
    skipped: 'Skipped',
    failed: 'Failed',
    recoveredBySweep: 'RecoveredBySweep',
  },
} as const

export type CountedOutcome = keyof typeof METRICS.names

/** Environment variables the processor Lambda reads. */
export const PROCESSOR_ENV = {
  processingBucket: 'EVENTPULSE_PROCESSING_BUCKET',
  quarantineBucket: 'EVENTPULSE_QUARANTINE_BUCKET',
  table: 'EVENTPULSE_TABLE',
  outcomesTable: 'EVENTPULSE_OUTCOMES_TABLE',
  /** The table of items' earlier versions, and how long a version is kept there. */
  historyTable: 'EVENTPULSE_HISTORY_TABLE',
  historyRetentionSeconds: 'EVENTPULSE_HISTORY_RETENTION_SECONDS',
  topicArn: 'EVENTPULSE_TOPIC_ARN',
  /** The item schema's digest, so the function's configuration shows which schema it checks with. */
  schemaHash: 'EVENTPULSE_SCHEMA_HASH',
  /** Seconds after which the sweep treats an object still in the processing bucket as having lost its event. */
  stuckAfterSeconds: 'EVENTPULSE_STUCK_AFTER_SECONDS',
  /** The processor's dead-letter queue, where the sweep sends an object it has given up on. */
  deadLetterQueueUrl: 'EVENTPULSE_DEAD_LETTER_QUEUE_URL',
} as const

/** CloudFormation outputs of the stack, read by the CLI to find its resources. */
export const STACK_OUTPUTS = {
  processingBucket: 'ProcessingBucketName',
  quarantineBucket: 'QuarantineBucketName',
  table: 'TableName',
  outcomesTable: 'OutcomesTableName',
  historyTable: 'HistoryTableName',
  /** How long an item's earlier version is kept in the history table (seconds). */
  historyRetentionSeconds: 'HistoryRetentionSeconds',
  topicArn: 'TopicArn',
  uploaderRoleArn: 'UploaderRoleArn',
  quarantineAdminRoleArn: 'QuarantineAdminRoleArn',
  /** Attach to the people who upload (upload, status, items): lets them assume the uploader role. */
  uploaderCliPolicyArn: 'UploaderCliPolicyArn',
  /** Attach to the quarantine admins (quarantine, dead-letters, sweep): lets them assume the quarantine-admin role. */
  adminCliPolicyArn: 'AdminCliPolicyArn',
  /** `true` or `false`: whether the quarantine-admin role requires MFA (`doctor` warns when it does not). */
  adminMfaRequired: 'AdminMfaRequired',
  /** Where the quarantine bucket's access log is delivered: s3://<log bucket>/<prefix>. */
  accessLogLocation: 'AccessLogLocation',
  processorFunctionName: 'ProcessorFunctionName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  processorDeadLetterQueueUrl: 'ProcessorDeadLetterQueueUrl',
  /** Seconds after which an object still in the processing bucket counts as stuck (`status --stuck`). */
  stuckAfterSeconds: 'StuckAfterSeconds',
  /** Digest of the item schema the deployed processor checks records with (schema/schema-hash.ts). */
  schemaHash: 'SchemaHash',
  /** What deleting the stack does to buckets, table and key: one of DATA_RETENTION. */
  dataRetention: 'DataRetention',
  /** The CloudWatch console address of the stack's dashboard (METRICS, the queues, the function). */
  dashboardUrl: 'DashboardUrl',
  /** The role `selftest` runs as: it may write and delete canaries only (SELFTEST_ARTIST_ID, SELFTEST_PREFIX). */
  selftestRoleArn: 'SelftestRoleArn',
  /** The queue subscribed to the topic for canary notifications only, which `selftest` reads. */
  selftestQueueUrl: 'SelftestQueueUrl',
} as const

/** The prefix of the quarantine bucket's server access log records in the stack's log bucket. */
export const ACCESS_LOG_PREFIX = 'quarantine-access/'

/** Values of the DataRetention output: stored data is kept (the default) or deleted with the stack. */
export const DATA_RETENTION = {retain: 'retain', destroy: 'destroy'} as const

export type StackOutputName = keyof typeof STACK_OUTPUTS

export const DEFAULT_STACK_NAME = 'EventPulse'

/** Seconds after which an object still in the processing bucket counts as stuck, unless the stack sets its own. */
export const DEFAULT_STUCK_AFTER_SECONDS = 15 * 60

/**
 * Quarantine layout: every quarantined upload is kept under `<source key>/<entry id>`.
 * The entry id is derived from the upload's identity (UploadIdentity), so a retried move, a
 * redelivered event and a sweep of one upload land on the same entry, while a different later upload of the same key
 * gets an entry of its own.
 */
/**
 * The quarantine bucket is versioned: a deleted (or replaced) entry stays recoverable as a noncurrent version for this
 * many days, then expires. `quarantine rm --purge` deletes every version at once.
 */
export const QUARANTINE_RETENTION_DAYS = 90

export const QUARANTINE_ENTRY_ID_PATTERN = /^q-[0-9a-f]{16}$/
/** The last segment of an entry key in the hashed layout: `q-<source key hash>-<id digits>`. */
const HASHED_ENTRY_NAME = /^q-[0-9a-f]{16}-([0-9a-f]{16})$/
/** Marks the cut where a hashed layout's entry key stops quoting its source key. */
const CUT_MARK = '…'
const ID_DIGITS = /^[0-9a-f]{16}$/

/**
 * One upload of an object: its key plus its ETag (plus its version id where the bucket is versioned). The sequencer
 * only orders events for a key; it is not part of the identity (a sweep has none, and other S3 implementations send a
 * constant one). Identical bytes sent twice under one key are therefore one upload.
 */
export interface UploadIdentity {
  etag: string
  versionId?: string
}

/**
 * The entry id of an upload, or of one record of a batch upload (`line`, 1-based): every line of a batch gets an entry
 * of its own, which a retry of the batch finds again.
 */
export function quarantineEntryId(upload: UploadIdentity, line?: number): string {
  const digest = createHash('sha256')
    .update(`${upload.etag}\n${upload.versionId ?? ''}${line === undefined ? '' : `\n${line}`}`)
    .digest('hex')
  return `q-${digest.slice(0, 16)}`
}

/** Whether a source key's entries take the hashed layout: `<source key>/q-<id>` would be over S3's key limit. */
export const hasHashedEntryKeys = (sourceKey: string): boolean => Buffer.byteLength(sourceKey) > MAX_SOURCE_KEY_BYTES

/** The first `bytes` bytes of the text's UTF-8 at most, cut between characters. */
function headOf(text: string, bytes: number): string {
  let head = ''
  let size = 0
  for (const char of text) {
    size += Buffer.byteLength(char)
    if (size > bytes) break
    head += char
  }
  return head
}

/**
 * What every entry key of a source key starts with, followed by its id's 16 hex digits. While it fits S3's 1,024-byte
 * key limit that is `<source key>/q-`. A longer source key (over MAX_SOURCE_KEY_BYTES) takes the hashed layout,
 * `<head>…/q-<hash>-`: its head, cut on a character boundary so that the entry key is at most 1,024 bytes, and the
 * first 16 hex digits of its SHA-256; the entry's metadata holds the whole source key.
 */
export function entryKeyPrefix(sourceKey: string): string {
  if (!hasHashedEntryKeys(sourceKey)) return `${sourceKey}/q-`
  const hash = createHash('sha256').update(sourceKey).digest('hex').slice(0, 16)
  const tail = `${CUT_MARK}/q-${hash}-`
  return `${headOf(sourceKey, MAX_S3_KEY_BYTES - Buffer.byteLength(tail) - 16)}${tail}`
}

export function quarantineKey(sourceKey: string, upload: UploadIdentity, line?: number): string {
  return `${entryKeyPrefix(sourceKey)}${quarantineEntryId(upload, line).slice('q-'.length)}`
}

/** Whether the key is one of this source key's entries (not one of a longer source key's that this one prefixes). */
export function isEntryOf(key: string, sourceKey: string): boolean {
  const prefix = entryKeyPrefix(sourceKey)
  return key.startsWith(prefix) && ID_DIGITS.test(key.slice(prefix.length))
}

/**
 * Splits a quarantine object key into the source key and entry id, or undefined for a key not laid out by the pipeline.
 * An entry key in the hashed layout does not hold its whole source key (sourceKey undefined): its metadata does.
 */
export function parseQuarantineKey(key: string): {sourceKey?: string; entryId: string} | undefined {
  const slash = key.lastIndexOf('/')
  if (slash <= 0) return undefined
  const name = key.slice(slash + 1)
  if (QUARANTINE_ENTRY_ID_PATTERN.test(name)) return {sourceKey: key.slice(0, slash), entryId: name}
  const hashed = HASHED_ENTRY_NAME.exec(name)
  if (hashed && key.slice(0, slash).endsWith(CUT_MARK)) return {entryId: `q-${hashed[1]}`}
  return undefined
}

/**
 * S3 user-metadata values must be ASCII, so the quarantine metadata that may not be (ep-message, ep-source-key)
 * is stored percent-encoded (encodeURIComponent); read it with decodeMetadataValue. S3 caps user metadata at 2 KB,
 * so a long message is shortened and an over-long source key left out: the quarantine key always holds it
 * (parseQuarantineKey).
 */
export const encodeMetadataValue = (value: string): string => encodeURIComponent(value)

/**
 * A value that must fit however it is spelt (the source key of an entry in the hashed layout): the shorter of its
 * percent-encoding and `b64:` + its UTF-8 in base64 (at most 1,368 characters for S3's longest key). A percent-encoded
 * value never holds `:`, so decodeMetadataValue tells them apart.
 */
export function compactMetadataValue(value: string): string {
  const encoded = encodeMetadataValue(value)
  const base64 = `${BASE64_MARK}${Buffer.from(value).toString('base64')}`
  return base64.length < encoded.length ? base64 : encoded
}

const BASE64_MARK = 'b64:'

export function decodeMetadataValue(value: string): string {
  if (value.startsWith(BASE64_MARK)) return Buffer.from(value.slice(BASE64_MARK.length), 'base64').toString()
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Outcomes recorded in the outcomes table besides the ones notified: the sweep gave up on the object. */
export const SWEEP_GAVE_UP = 'dead-lettered'

/** The input the sweep schedule invokes the processor with (instead of an S3 event). */
export const SWEEP_REQUEST = {eventpulse: 'sweep'} as const

export function isSweepRequest(input: unknown): boolean {
  return (input as {eventpulse?: unknown})?.eventpulse === SWEEP_REQUEST.eventpulse
}

/**
 * The processor Lambda's timeout: the longest one invocation, so one holder of a batch's lease, can live. The stack
 * sets it, and a batch's lease is derived from it (process-batch.ts).
 */
export const PROCESSOR_TIMEOUT_SECONDS = 60

/** Sweep limits: objects taken per run (the rest wait for the next run), and tries before an object is given up. */
export const SWEEP_LIMITS = {objectsPerRun: 500, maxAttempts: 3, defaultEverySeconds: 5 * 60} as const
