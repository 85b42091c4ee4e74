/** Size limits applied identically by `validate`, `upload` and the processor Lambda. */

/** Largest object (file) the pipeline reads; larger ones are quarantined as `too-large` without being downloaded. */
export const MAX_OBJECT_BYTES = 1024 * 1024

/** DynamoDB's hard item size limit. */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024

/**
 * Room kept in every item for the pipeline's own metadata attributes (source key up to 1 KiB, ETag, sequencer, time).
 */
export const METADATA_RESERVE_BYTES = 4 * 1024

/** Largest normalised record, in DynamoDB item bytes. */
export const MAX_RECORD_ITEM_BYTES = DYNAMODB_ITEM_LIMIT_BYTES - METADATA_RESERVE_BYTES

/** DynamoDB key attribute limits, in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048
export const MAX_SORT_KEY_BYTES = 1024

/** A record is at most 4 levels deep ({"Features":{"L":[{"S":…}]}}); anything far deeper is refused before parsing. */
export const MAX_NESTING_DEPTH = 32

/**
 * Batch objects (many records, one per line: see record/batch-lines.ts). The processor streams them, so these bound
 * the work one batch can ask for, not memory. A larger object is quarantined whole as `too-large` without being read.
 * Reading stops at the first record past the count, or at the line MAX_BATCH_TEXT_BYTES falls in: that line and the
 * rest of the object become one `too-large` entry (the object whole, under that line's number), which counts as one
 * quarantined record; the lines before it are done as usual. `validate` stops at the same line and counts the same,
 * so `upload` refuses such a file unless told not to validate.
 */
export const MAX_BATCH_OBJECT_BYTES = 1024 * 1024 * 1024
export const MAX_BATCH_RECORDS = 1_000_000

/**
 * Most text one batch may hold once decompressed (a gzip batch; a plain one is capped by its size first): 4 GiB, room
 * for the record limit at 4 KiB a record. A small gzip can hold far more ("a gzip bomb"), and every line past this is
 * work the object's size did not announce.
 */
export const MAX_BATCH_TEXT_BYTES = 4 * 1024 * 1024 * 1024

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_S3_KEY_BYTES = 1024

/**
 * Longest source key whose quarantine entries are `<source key>/q-<16 hex digits>` within S3's limit; a longer one's
 * take the hashed layout (pipeline-contract.ts, entryKeyPrefix). `upload` keeps to it, so the entries of what it sends
 * always quote their key whole.
 */
export const MAX_SOURCE_KEY_BYTES = MAX_S3_KEY_BYTES - '/q-'.length - 16
