import {isUtf8} from 'node:buffer'

import {
  MAX_NESTING_DEPTH,
  MAX_OBJECT_BYTES,
  MAX_PARTITION_KEY_BYTES,
  MAX_RECORD_ITEM_BYTES,
  MAX_SORT_KEY_BYTES,
} from '#contract/limits.js'
import {ITEM_METADATA, type QuarantineReason, SELFTEST_ARTIST_ID, SELFTEST_PREFIX} from '#contract/pipeline-contract.js'
import validateItemSchema from '../schema/item.validate.js'
import {dynamoDbItemBytes} from './item-size.js'
import {normaliseRecord} from './normalise.js'
import {type SchemaProblem, schemaProblems} from './schema-messages.js'
import type {TypedItem} from './typed-item.js'
import {describeSyntaxError, lineAndColumn, nestingDepth, SourceLocator} from './source-position.js'

/** One thing wrong with a record, located in its source text where that can be known. */
export interface RecordProblem {
  /** JSON pointer into the record as written (e.g. /Features/1), '' for the whole record. */
  path: string
  /** 1-based position of the offending value or syntax error; absent when the text gives none (e.g. an empty file). */
  line?: number
  column?: number
  message: string
}

export type RecordCheck =
  {ok: true; item: TypedItem; itemBytes: number} | {ok: false; reason: QuarantineReason; problems: RecordProblem[]}

const BOM = [0xef, 0xbb, 0xbf]

/** Where a record sits when it is one line of a batch file (NDJSON or DynamoDB export lines). */
export interface RecordCheckOptions {
  /** The record is line `line` (1-based) of a batch: problems are located in the file, not in the line. */
  line?: number
  /** The record's true size in bytes, when `bytes` holds only its start (a batch line too long to be a record). */
  size?: number
  /** The record is a selftest upload (under SELFTEST_PREFIX), so it may use the reserved SELFTEST_ARTIST_ID. */
  canary?: boolean
  /**
   * Checked as a batch's record is (an export line's Item inside, the pipeline's own attributes dropped), but located
   * in `bytes` as they are: a batch's record shown or mended on its own, over several lines.
   */
  batchRecord?: boolean
}

const metadataNames: ReadonlySet<string> = new Set(Object.values(ITEM_METADATA))

/**
 * A batch line as DynamoDB's export to S3 writes it, `{"Item": {…typed…}}`, is the record inside; the pipeline's own
 * metadata attributes (present when our table was exported) are not part of the record, so they are dropped, not
 * refused. `prefix` is where the record sits in the line's text, to locate problems.
 */
function recordOfBatchLine(parsed: unknown): {record: unknown; prefix: string} {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
  if (!isObject(parsed)) return {record: parsed, prefix: ''}
  const keys = Object.keys(parsed)
  const exported = keys.length === 1 && keys[0] === 'Item' && isObject(parsed.Item)
  const record = exported ? (parsed.Item as Record<string, unknown>) : parsed
  const own = Object.fromEntries(Object.entries(record).filter(([name]) => !metadataNames.has(name)))
  return {record: own, prefix: exported ? '/Item' : ''}
}

const byPosition = (a: RecordProblem, b: RecordProblem): number =>
  (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)

function failure(
  reason: QuarantineReason,
  message: string,
  at?: {line: number; column: number},
  path = '',
): RecordCheck {
  return {ok: false, reason, problems: [{path, ...at, message}]}
}

/**
 * Where the first byte that is not UTF-8 sits, as a line and column of the text before it. Read one character at a
 * time: a well-formed sequence is the shortest run of 1 to 4 bytes that is valid UTF-8 by itself, so a byte that
 * starts none is the culprit (a stray continuation byte, a truncated sequence, an overlong or surrogate form).
 */
function firstInvalidUtf8(bytes: Uint8Array): {line: number; column: number; offset: number} {
  let offset = 0
  while (offset < bytes.length) {
    const length = bytes[offset] < 0x80 ? 1 : [2, 3, 4].find((n) => isUtf8(bytes.subarray(offset, offset + n)))
    if (length === undefined) break
    offset += length
  }
  const before = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString('utf8')
  return {...lineAndColumn(before, before.length), offset}
}

/**
 * The whole check a record passes before it is stored, identical in `validate`, `upload` and the processor:
 * size cap, UTF-8, JSON syntax, nesting, plain-to-typed normalisation, the item schema, key and item size limits.
 * Never throws: every kind of bad input becomes a reason and problems with positions in the text.
 */
export function checkRecord(bytes: Uint8Array, options: RecordCheckOptions = {}): RecordCheck {
  const check = checkText(
    bytes,
    options.line !== undefined || options.batchRecord === true,
    options.size ?? bytes.length,
    options.canary ?? false,
  )
  if (check.ok || options.line === undefined) return check
  // A batch line is one line of the file, so its problems are on that line (a line holds no newline).
  const line = options.line
  return {...check, problems: check.problems.map((problem) => ({...problem, line, column: problem.column ?? 1}))}
}

function checkText(bytes: Uint8Array, batchLine: boolean, size: number, canary: boolean): RecordCheck {
  const what = batchLine ? 'record' : 'file'
  if (size > MAX_OBJECT_BYTES)
    return failure('too-large', `the ${what} is ${size} bytes; the limit is ${MAX_OBJECT_BYTES} bytes (1 MiB)`)
  if (!isUtf8(bytes)) {
    const {offset, line, column} = firstInvalidUtf8(bytes)
    return failure(
      'not-utf8',
      `not UTF-8: byte 0x${bytes[offset].toString(16).padStart(2, '0')} at offset ${offset} ` +
        `is not valid UTF-8; save the file as UTF-8`,
      {line, column},
    )
  }
  if (BOM.every((byte, i) => bytes[i] === byte))
    return failure(
      'invalid-json',
      'the file starts with a UTF-8 byte-order mark (BOM), which JSON does not allow; save it as UTF-8 without BOM',
      {line: 1, column: 1},
    )
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')
  if (text.trim() === '') return failure('invalid-json', 'the file is empty; it must hold one JSON object')

  // JSON.parse copes with any depth; the parsers that locate problems recurse, so they only see shallow texts.
  // A record is at most four levels deep, so a deeper text is invalid whatever else is wrong with it.
  const tooDeep = (): RecordCheck | undefined => {
    const at = nestingDepth(text, MAX_NESTING_DEPTH).tooDeepAt
    return at === undefined
      ? undefined
      : failure(
          'schema',
          `nested more than ${MAX_NESTING_DEPTH} levels deep; a record is a flat object of attributes`,
          lineAndColumn(text, at),
        )
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    const syntax = tooDeep() ? undefined : describeSyntaxError(text, (error as Error).message)
    return syntax ? failure('invalid-json', syntax.message, lineAndColumn(text, syntax.offset)) : tooDeep()!
  }

  const {record, prefix} = batchLine ? recordOfBatchLine(parsed) : {record: parsed, prefix: ''}
  const isObject = record !== null && typeof record === 'object' && !Array.isArray(record)
  const {item, inexact} = isObject ? normaliseRecord(record as Record<string, unknown>) : {item: record, inexact: []}
  if (!validateItemSchema(item) || inexact.length > 0) {
    const deep = tooDeep()
    if (deep) return deep
    const locator = new SourceLocator(text)
    const located = ({atName, ...problem}: SchemaProblem): RecordProblem => ({
      ...problem,
      ...locator.locate(prefix + problem.path, atName),
    })
    const problems = [
      ...inexact.map(({path, label}) => ({
        path,
        message: `${label} is too large a number to be exact in JSON; write it as {"N": "<digits>"}`,
      })),
      ...schemaProblems(validateItemSchema.errors ?? [], record),
    ]
    return {ok: false, reason: 'schema', problems: problems.map(located).sort(byPosition)}
  }

  const typed = item as TypedItem
  if (!canary && (typed.ArtistID as {S: string}).S === SELFTEST_ARTIST_ID)
    return failure(
      'schema',
      `ArtistID "${SELFTEST_ARTIST_ID}" is reserved for the canary records of \`eventpulse selftest\` ` +
        `(accepted under ${SELFTEST_PREFIX} only); use another ArtistID`,
      new SourceLocator(text).locate(`${prefix}/ArtistID`),
      '/ArtistID',
    )
  for (const [attribute, limit] of [
    ['ArtistID', MAX_PARTITION_KEY_BYTES],
    ['ItemID', MAX_SORT_KEY_BYTES],
  ] as const) {
    const size = Buffer.byteLength((typed[attribute] as {S: string}).S)
    if (size > limit)
      return failure(
        'too-large',
        `${attribute} is ${size} bytes; DynamoDB allows at most ${limit} bytes for this key`,
        new SourceLocator(text).locate(`${prefix}/${attribute}`),
        `/${attribute}`,
      )
  }

  const itemBytes = dynamoDbItemBytes(typed)
  if (itemBytes > MAX_RECORD_ITEM_BYTES)
    return failure(
      'too-large',
      `the record is ${itemBytes} bytes as a DynamoDB item; ` +
        `the limit is ${MAX_RECORD_ITEM_BYTES} bytes (400 KB less room for the pipeline's metadata)`,
      {line: 1, column: 1},
    )
  return {ok: true, item: typed, itemBytes}
}
