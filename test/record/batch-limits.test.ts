import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {expect, it, vi} from 'vitest'

import {MAX_BATCH_OBJECT_BYTES} from '#contract/limits.js'
import {checkBatch} from '#record/check-batch.js'
import {validatePaths, validationLines} from '#validate/validate-files.js'
import {tempDir} from '../helpers/temp-dirs.js'

// The record limit lowered to 2 records (a million records would take minutes here), the text limit to 1,000 bytes;
// the object byte limit is the real one.
vi.mock('#contract/limits.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('#contract/limits.js')>()),
  MAX_BATCH_RECORDS: 2,
  MAX_BATCH_TEXT_BYTES: 1000,
}))

const chunksOf = async function* (bytes: string | Buffer) {
  yield Buffer.from(bytes)
}

const track = (n: number) => JSON.stringify({ArtistID: 'Artist', ItemID: `TRACK#${n}`, EntityType: 'Track'})

it('a batch of exactly the byte limit is read; one byte more is refused whole, unread, saying by how much', async () => {
  const text = [track(1), track(2)].join('\n')
  expect(await checkBatch(chunksOf(text), {gzip: false, size: MAX_BATCH_OBJECT_BYTES})).toEqual({
    valid: 2,
    invalid: 0,
    problems: [],
  })
  expect(await checkBatch(chunksOf(text), {gzip: false, size: MAX_BATCH_OBJECT_BYTES + 1})).toEqual({
    valid: 0,
    invalid: 0,
    problems: [
      {
        path: '',
        reason: 'too-large',
        message: `the batch is ${MAX_BATCH_OBJECT_BYTES + 1} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split the file`,
      },
    ],
  })
})

it('validate refuses a batch file over the byte limit without reading it', async () => {
  // A sparse file: its size is past the limit, and nothing of it is stored (or read).
  const file = join(tempDir('eventpulse-batch-limit-'), 'huge.ndjson')
  const handle = await open(file, 'w')
  await handle.truncate(MAX_BATCH_OBJECT_BYTES + 1)
  await handle.close()
  const result = await validatePaths([file])
  expect(result.files[0]).toMatchObject({valid: false, reason: 'too-large', records: {valid: 0, invalid: 0}})
  expect(validationLines(result)).toEqual([
    `${file}  the batch is ${MAX_BATCH_OBJECT_BYTES + 1} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split the file [too-large]`,
    `${file}: 0 records, 0 valid, 0 invalid (file invalid).`,
    'Checked 1 file: 0 valid, 1 invalid.',
  ])
})

it('records up to the count limit are checked; reading stops at the first past it, which stands for the rest', async () => {
  // Blank lines are not records: record 3 is line 4. Line 5 is not even JSON, and is never read.
  const text = [track(1), '', track(2), track(3), '{"ArtistID":', ...Array(995).fill(track(4))].map((l) => `${l}\n`)
  let pulled = 0
  const oneLineAtATime = async function* () {
    for (const line of text) {
      pulled++
      yield Buffer.from(line)
    }
  }
  const check = await checkBatch(oneLineAtATime(), {gzip: false})
  expect(pulled).toBe(4)
  expect(check).toEqual({
    valid: 2,
    invalid: 1,
    problems: [
      {
        path: '',
        line: 4,
        column: 1,
        reason: 'too-large',
        message:
          'record 3 and all after it are past the limit of 2 records per batch, and were not read; split the file',
      },
    ],
  })
})

it('text up to the text limit is read; the line the limit falls in and the rest are one problem, plain or gzip', async () => {
  const line = (n: number, length: number) => {
    const record = JSON.stringify({ArtistID: 'Artist', ItemID: `TRACK#${n}`, Title: ''})
    return record.replace('"Title":""', `"Title":"${'x'.repeat(length - record.length)}"`)
  }
  // 499 bytes and a newline, then 500: 1,000 bytes of text in all, all read.
  const exactly = `${line(1, 499)}\n${line(2, 500)}`
  expect(Buffer.byteLength(exactly)).toBe(1000)
  expect(await checkBatch(chunksOf(exactly), {gzip: false})).toEqual({valid: 2, invalid: 0, problems: []})
  // One byte more, in the middle of line 2: line 2 is not taken, though its start was read.
  const over = `${line(1, 499)}\n${line(2, 501)}`
  const problem = (gzip: string) => ({
    path: '',
    line: 2,
    column: 1,
    reason: 'too-large',
    message: `the batch holds more than 1000 bytes of text${gzip}; lines from 2 on were not read; split the file`,
  })
  expect(await checkBatch(chunksOf(over), {gzip: false})).toEqual({valid: 1, invalid: 1, problems: [problem('')]})
  const bomb = gzipSync(`${over}\n`.repeat(10_000))
  expect(await checkBatch(chunksOf(bomb), {gzip: true})).toEqual({
    valid: 1,
    invalid: 1,
    problems: [problem(' once decompressed')],
  })
})

it('a gzip batch whose data breaks off says so, after how many records, and why', async () => {
  const whole = gzipSync([track(1), track(2)].join('\n'))
  const check = await checkBatch(chunksOf(whole.subarray(0, whole.length - 12)), {gzip: true})
  expect(check.valid).toBe(1)
  // The rest, from the first line lost, is one invalid record, as the processor counts its one entry.
  expect(check.invalid).toBe(1)
  expect(check.problems).toEqual([
    {
      path: '',
      line: 2,
      column: 1,
      reason: 'invalid-json',
      message:
        'not readable as gzip past record 1: the gzip data cannot be read from line 2 on (unexpected end of file)',
    },
  ])
  expect(await checkBatch(chunksOf('{"not": "gzip"}\n'), {gzip: true})).toEqual({
    valid: 0,
    invalid: 1,
    problems: [
      {
        path: '',
        line: 1,
        column: 1,
        reason: 'invalid-json',
        message:
          'not readable as gzip past record 0: the gzip data cannot be read from line 1 on (incorrect header check)',
      },
    ],
  })
})

it('a plain batch that cannot be read to its end says after which record, and why', async () => {
  const failing = async function* () {
    yield Buffer.from(`${track(1)}\n`)
    throw new Error('EIO: i/o error, read')
  }
  expect(await checkBatch(failing(), {gzip: false})).toEqual({
    valid: 1,
    invalid: 0,
    problems: [{path: '', reason: 'invalid-json', message: 'not readable past record 1: EIO: i/o error, read'}],
  })
})
