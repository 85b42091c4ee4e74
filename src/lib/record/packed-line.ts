import {createHash} from 'node:crypto'

import {PACKED_LINE} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'

const HEAD = Buffer.from(`{"${PACKED_LINE.fileField}":`)
const MIDDLE = Buffer.from(`,"${PACKED_LINE.recordField}":`)
const TAIL = Buffer.from('}')
const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The longest wrapper (all of a packed line but its record): a file named longer than that is packed unnamed. */
export const MAX_PACKED_WRAPPER_BYTES = 8 * 1024

/** A file's record as a packed line holds it: its line breaks made spaces (JSON allows none inside a string). */
export const packedRecord = (body: Buffer): Buffer =>
  Buffer.from(body.map((byte) => (byte === 0x0a || byte === 0x0d ? 0x20 : byte)))

/**
 * The outcomes-table key under which the processor records where a packed record it quarantined went, found again
 * from the record's bytes (as a packed line holds them), wherever its file is and whatever it is called now.
 */
export const packedRecordKey = (record: Uint8Array): string =>
  `${OUTCOMES_TABLE.packedRecordPrefix}${createHash('sha256').update(record).digest('hex')}`

/** The batch line of `record` packed from `file` (PACKED_LINE), or the record alone if the name is too long. */
export function packedLine(file: string, record: Buffer): Buffer {
  const name = Buffer.from(JSON.stringify(file))
  if (HEAD.length + name.length + MIDDLE.length + TAIL.length > MAX_PACKED_WRAPPER_BYTES) return record
  return Buffer.concat([HEAD, name, MIDDLE, record, TAIL])
}

/** Where the JSON string starting at `start` ends (just past its closing quote), if it does. */
function endOfString(bytes: Buffer, start: number): number | undefined {
  if (bytes[start] !== QUOTE) return undefined
  for (let index = start + 1; index < bytes.length; index++) {
    if (bytes[index] === BACKSLASH) index++
    else if (bytes[index] === QUOTE) return index + 1
  }
  return undefined
}

/** A batch line's record: its bytes and true size, and the file it came from when `upload --batch` packed it. */
export interface UnpackedLine {
  bytes: Buffer
  size: number
  file?: string
}

/**
 * The record of a batch line (PACKED_LINE): of a packed line, the record inside and its file; of any other line, the
 * line as it is. `size` is the line's true size, when `bytes` holds only its start (a line too long to be a record).
 */
export function unpackLine(bytes: Buffer, size = bytes.length): UnpackedLine {
  const asItIs = {bytes, size}
  if (!bytes.subarray(0, HEAD.length).equals(HEAD)) return asItIs
  const nameEnd = endOfString(bytes, HEAD.length)
  if (nameEnd === undefined) return asItIs
  const recordStart = nameEnd + MIDDLE.length
  if (!bytes.subarray(nameEnd, recordStart).equals(MIDDLE)) return asItIs
  const whole = bytes.length === size
  if (whole && (bytes.length <= recordStart || bytes.at(-1) !== TAIL[0])) return asItIs
  let file: unknown
  try {
    file = JSON.parse(bytes.subarray(HEAD.length, nameEnd).toString('utf8'))
  } catch {
    return asItIs
  }
  if (typeof file !== 'string') return asItIs
  const end = whole ? bytes.length - TAIL.length : bytes.length
  return {bytes: bytes.subarray(recordStart, end), size: size - recordStart - TAIL.length, file}
}
