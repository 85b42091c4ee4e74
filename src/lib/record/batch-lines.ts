import {pipeline, Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {MAX_OBJECT_BYTES} from '#contract/limits.js'

/** One non-blank line of a batch: its 1-based line number in the (uncompressed) file and its bytes, without the newline. */
export interface BatchLine {
  line: number
  bytes: Buffer
}

/**
 * The gzip data of a batch is corrupt, or ends before its end: nothing from `line` on can be read. Only when the whole
 * object was received (`expectedBytes`); a transfer cut short throws its own error, to be retried.
 */
export class UnreadableBatchError extends Error {
  name = 'UnreadableBatchError'

  constructor(
    readonly line: number,
    zlibError: Error,
  ) {
    super(`the gzip data cannot be read from line ${line} on (${zlibError.message})`)
  }
}

const isZlibError = (error: unknown): error is Error => /^Z_/.test((error as {code?: string})?.code ?? '')

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/** Whitespace-only lines are skipped, as NDJSON readers do. */
const isBlank = (bytes: Buffer): boolean => bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d)

/**
 * The records of a batch, line by line, streamed: only the current line is held (a line longer than a record may be
 * is cut just past the limit, so the record check reports it as too large without the rest being kept). `gzip`
 * decompresses on the way. Lines are numbered from `firstLine` on, so a continued batch keeps the file's numbers.
 */
export async function* batchLines(
  chunks: AsyncIterable<Uint8Array>,
  options: {gzip?: boolean; maxLineBytes?: number; expectedBytes?: number} = {},
): AsyncGenerator<BatchLine> {
  const maxLineBytes = options.maxLineBytes ?? MAX_OBJECT_BYTES
  let source: AsyncIterable<Uint8Array> = chunks
  let received = 0
  if (options.gzip) {
    const gunzip = createGunzip()
    const counted = async function* () {
      for await (const chunk of chunks) {
        received += chunk.length
        yield chunk
      }
    }
    // pipeline destroys the gunzip stream with the source's error, which then ends the iteration below with it.
    pipeline(Readable.from(counted()), gunzip, () => {})
    source = gunzip
  }
  let pieces: Buffer[] = []
  let held = 0
  let line = 0
  const take = (piece: Buffer) => {
    const room = maxLineBytes + 1 - held
    if (room <= 0) return
    const kept = piece.length > room ? piece.subarray(0, room) : piece
    pieces.push(kept)
    held += kept.length
  }
  const finish = (): BatchLine | undefined => {
    line++
    let bytes = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)
    pieces = []
    held = 0
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1)
    return isBlank(bytes) ? undefined : {line, bytes}
  }
  try {
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)
      let start = 0
      for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        take(buffer.subarray(start, end))
        const record = finish()
        if (record) yield record
        start = end + 1
      }
      if (start < buffer.length) take(buffer.subarray(start))
    }
  } catch (error) {
    const whole = options.expectedBytes === undefined || received >= options.expectedBytes
    throw isZlibError(error) && whole ? new UnreadableBatchError(line + 1, error) : error
  }
  const last = finish()
  if (last) yield last
}
