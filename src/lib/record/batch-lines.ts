import {finished} from 'node:stream/promises'
import {constants, createGunzip} from 'node:zlib'

import {MAX_BATCH_RECORDS, MAX_BATCH_TEXT_BYTES, MAX_OBJECT_BYTES} from '#contract/limits.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import {MAX_PACKED_WRAPPER_BYTES, unpackLine} from './packed-line.js'

/**
 * One non-blank line of a batch: its 1-based line number in the (uncompressed) file, its record's bytes without the
 * newline (only the start of a line too long to be a record), and its true size in bytes. A line `upload --batch`
 * packed (PACKED_LINE) is its record alone, and names the file it came from.
 */
export interface BatchLine {
  line: number
  bytes: Buffer
  size: number
  file?: string
}

/**
 * Nothing of the batch from `line` on is read: that line and the rest of the object are one problem, of `reason`,
 * and the object whole is its quarantine entry.
 */
export abstract class BatchCutShortError extends Error {
  abstract readonly reason: QuarantineReason

  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The gzip data of a batch is corrupt, or ends before its end: nothing from `line` on can be read. Only when the whole
 * object was received (`expectedBytes`); a transfer cut short throws its own error, to be retried.
 */
export class UnreadableBatchError extends BatchCutShortError {
  name = 'UnreadableBatchError'
  readonly reason = 'invalid-json'

  constructor(line: number, zlibError: Error) {
    super(line, `the gzip data cannot be read from line ${line} on (${zlibError.message})`)
  }
}

/** The batch goes on past its record or text limit (contract/limits.ts): reading stopped at `line`. */
export class BatchPastLimitError extends BatchCutShortError {
  name = 'BatchPastLimitError'
  readonly reason = 'too-large'
}

const pastRecordLimit = (record: number) =>
  `record ${record} and all after it are past the limit of ${MAX_BATCH_RECORDS} records per batch, ` +
  'and were not read; split the file'

const pastTextLimit = (line: number, gzip: boolean) =>
  `the batch holds more than ${MAX_BATCH_TEXT_BYTES} bytes of text${gzip ? ' once decompressed' : ''}; ` +
  `lines from ${line} on were not read; split the file`

const isZlibError = (error: unknown): error is Error => /^Z_/.test((error as {code?: string})?.code ?? '')

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/** Whitespace-only lines are skipped, as NDJSON readers do. */
const isBlank = (bytes: Buffer): boolean => bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d)

/** Compressed bytes fed to zlib at a time: what one feed decompresses to (at most about 1,000 times more) is held. */
const GZIP_FEED_BYTES = 16 * 1024

/**
 * The decompressed data of gzip `chunks`, then zlib's error if the data is corrupt or breaks off: every byte zlib can
 * decompress comes before it. (Node drops what a failing call decompressed, so the data is flushed before its end is
 * checked; a stream's iterator would drop what it had buffered too.) Each feed waits for its output, so a slow reader
 * holds back the input.
 */
async function* gunzipped(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip()
  let output: Buffer[] = []
  gunzip.on('data', (chunk: Buffer) => output.push(chunk))
  // The error is read from `errored`, set as it happens (the event comes a tick later, even after end's callback).
  gunzip.on('error', () => {})
  // Settles once zlib has done the step (its output is in `output`) or failed.
  const step = (start: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      const done = () => {
        gunzip.off('error', done)
        resolve()
      }
      gunzip.on('error', done)
      start(done)
    })
  const taken = function* () {
    yield* output
    output = []
    if (gunzip.errored) throw gunzip.errored
  }
  try {
    for await (const chunk of chunks) {
      for (let start = 0; start < chunk.length; start += GZIP_FEED_BYTES) {
        await step((done) => gunzip.write(chunk.subarray(start, start + GZIP_FEED_BYTES), done))
        yield* taken()
      }
    }
    await step((done) => gunzip.flush(constants.Z_SYNC_FLUSH, done))
    yield* taken()
    gunzip.end()
    await finished(gunzip).catch(() => {})
    yield* taken()
  } finally {
    gunzip.destroy()
  }
}

/**
 * The records of a batch, line by line, streamed: only the current line is held (a line longer than a record may be
 * is cut just past the limit, so the record check reports it as too large without the rest being kept). `gzip`
 * decompresses on the way. Lines are numbered from 1, so a continued batch keeps the file's numbers. Reading stops
 * at the first record past MAX_BATCH_RECORDS or the first line not wholly within MAX_BATCH_TEXT_BYTES
 * (BatchPastLimitError naming it), or at the first line lost in broken gzip data (UnreadableBatchError).
 */
export async function* batchLines(
  chunks: AsyncIterable<Uint8Array>,
  options: {gzip?: boolean; maxLineBytes?: number; expectedBytes?: number} = {},
): AsyncGenerator<BatchLine> {
  const maxRecordBytes = options.maxLineBytes ?? MAX_OBJECT_BYTES
  // A packed line holds a record of up to the limit and its wrapper.
  const maxLineBytes = maxRecordBytes + MAX_PACKED_WRAPPER_BYTES
  let received = 0
  const counted = async function* () {
    for await (const chunk of chunks) {
      received += chunk.length
      yield chunk
    }
  }
  const source = options.gzip ? gunzipped(counted()) : counted()
  let pieces: Buffer[] = []
  let held = 0
  let size = 0
  let lastByte: number | undefined
  let line = 0
  let records = 0
  let text = 0
  const take = (piece: Buffer) => {
    if (piece.length === 0) return
    size += piece.length
    lastByte = piece[piece.length - 1]
    const room = maxLineBytes + 1 - held
    if (room <= 0) return
    const kept = piece.length > room ? piece.subarray(0, room) : piece
    pieces.push(kept)
    held += kept.length
  }
  const finish = (): BatchLine | undefined => {
    line++
    let bytes = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)
    // A CRLF line's CR is not part of its record.
    const lineSize = lastByte === CARRIAGE_RETURN ? size - 1 : size
    if (bytes.length > lineSize) bytes = bytes.subarray(0, lineSize)
    pieces = []
    held = 0
    size = 0
    lastByte = undefined
    if (isBlank(bytes)) return undefined
    records++
    if (records > MAX_BATCH_RECORDS) throw new BatchPastLimitError(line, pastRecordLimit(records))
    const record = unpackLine(bytes, lineSize)
    return {line, ...record, bytes: record.bytes.subarray(0, maxRecordBytes + 1)}
  }
  try {
    for await (const chunk of source) {
      const whole = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
      const room = MAX_BATCH_TEXT_BYTES - text
      text += whole.length
      const buffer = whole.length > room ? whole.subarray(0, room) : whole
      let start = 0
      for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        take(buffer.subarray(start, end))
        const record = finish()
        if (record) yield record
        start = end + 1
      }
      if (start < buffer.length) take(buffer.subarray(start))
      // The line the limit falls in is not taken, even if its start was read.
      if (buffer !== whole) throw new BatchPastLimitError(line + 1, pastTextLimit(line + 1, options.gzip === true))
    }
  } catch (error) {
    const whole = received >= (options.expectedBytes ?? 0)
    throw isZlibError(error) && whole ? new UnreadableBatchError(line + 1, error) : error
  }
  const last = finish()
  if (last) yield last
}
