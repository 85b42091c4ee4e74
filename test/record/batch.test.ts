import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {constants, gunzipSync, gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {batchLines, UnreadableBatchError} from '#record/batch-lines.js'
import {checkBatch} from '#record/check-batch.js'
import {validatePaths, validationLines} from '#validate/validate-files.js'
import {isBatchName} from '#contract/batch-names.js'
import {tempDir} from '../helpers/temp-dirs.js'

const chunksOf = async function* (text: string | Buffer, size = 7) {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

const lines = async (text: string | Buffer, gzip = false) => {
  const found = []
  for await (const {line, bytes} of batchLines(chunksOf(text), {gzip})) found.push([line, bytes.toString()])
  return found
}

const track = (n: number) => ({ArtistID: 'Artist', ItemID: `TRACK#${n}`, Title: `Track ${n}`, EntityType: 'Track'})

describe('batch files', () => {
  it('are recognised by name: NDJSON, JSON lines and gzip exports; a plain .json file is one record', () => {
    expect(['a.ndjson', 'b.jsonl', 'c.json.gz', 'd.ndjson.gz', 'E.JSONL'].map(isBatchName)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['a.json', 'b.gz', 'c.ndjson.txt'].map(isBatchName)).toEqual([false, false, false])
  })

  it('yield each non-blank line with its line number, across chunk boundaries, CRLF or LF, last line unterminated', async () => {
    expect(await lines('{"a":1}\r\n\n   \n{"b":2}\n{"c":3}')).toEqual([
      [1, '{"a":1}'],
      [4, '{"b":2}'],
      [5, '{"c":3}'],
    ])
    expect(await lines(gzipSync('{"a":1}\n{"b":2}\n'), true)).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
    ])
  })

  it('check each record with the one record check, located as line:column of the file', async () => {
    // Line 4's column 54 is the value 3 of Title.
    const text = [
      JSON.stringify(track(1)),
      '',
      JSON.stringify({ArtistID: {S: 'Artist'}, ItemID: {S: 'TRACK#2'}, Title: {S: 'Typed'}, EntityType: {S: 'Track'}}),
      '{"ArtistID": "Artist", "ItemID": "TRACK#3", "Title": 3, "EntityType": "Track"}',
      '{"ArtistID": "Artist",',
    ].join('\n')
    const check = await checkBatch(chunksOf(text), {gzip: false})
    expect(check.valid).toBe(2)
    expect(check.invalid).toBe(2)
    expect(check.problems.map(({line, column, record, reason}) => ({line, column, record, reason}))).toEqual([
      {line: 4, column: 54, record: 3, reason: 'schema'},
      {line: 5, column: expect.any(Number), record: 4, reason: 'invalid-json'},
    ])
  })

  it("accept DynamoDB export lines, gzip-compressed, ignoring the pipeline's own metadata attributes", async () => {
    const exported = [1, 2].map((n) =>
      JSON.stringify({
        Item: {
          ArtistID: {S: 'Artist'},
          ItemID: {S: `TRACK#${n}`},
          Title: {S: 'T'},
          EntityType: {S: 'Track'},
          ep_source_key: {S: 'old/key.json'},
          ep_ingested_at: {S: '2026-01-01T00:00:00.000Z'},
        },
      }),
    )
    const check = await checkBatch(chunksOf(gzipSync(exported.join('\n'))), {gzip: true})
    expect(check).toEqual({valid: 2, invalid: 0, problems: []})
    const bad = await checkBatch(chunksOf(JSON.stringify({Item: {ArtistID: {S: 'A'}, ItemID: {N: '1'}}})), {
      gzip: false,
    })
    expect(bad.problems[0]).toMatchObject({line: 1, record: 1, reason: 'schema'})
  })

  it('report a file that is not gzip as a problem of the file', async () => {
    const check = await checkBatch(chunksOf('{"not": "gzip"}\n'), {gzip: true})
    expect(check.problems).toEqual([
      expect.objectContaining({reason: 'invalid-json', message: expect.stringMatching(/gzip/)}),
    ])
  })

  it('are reported by validate as path:line:column with the record number, and a verdict counting records', async () => {
    const dir = tempDir('eventpulse-batch-')
    const file = join(dir, 'catalog.ndjson')
    await writeFile(file, [JSON.stringify(track(1)), '{"ArtistID": "A"}', JSON.stringify(track(3))].join('\n'))
    const result = await validatePaths([file])
    expect(result.summary).toEqual({checked: 1, valid: 0, invalid: 1})
    expect(result.files[0].records).toEqual({valid: 2, invalid: 1})
    const printed = validationLines(result)
    expect(printed[0]).toMatch(new RegExp(`^${file}:2:1  record 2: .* \\[schema\\]$`))
    expect(printed).toContain(`${file}: 3 records, 2 valid, 1 invalid (file invalid).`)
  })

  it('that break off in their gzip data say from which line on; a transfer cut short is its own error, to be retried', async () => {
    const text = Array.from({length: 50}, (_, i) => JSON.stringify(track(i))).join('\n')
    const cut = gzipSync(text).subarray(0, 300)
    const read = async (expectedBytes?: number) => {
      const found: number[] = []
      try {
        for await (const {line} of batchLines(chunksOf(cut), {gzip: true, expectedBytes})) found.push(line)
      } catch (error) {
        return {found, error}
      }
      return {found}
    }
    // The whole object arrived, and its data ends early: unreadable from the first line not read.
    const whole = await read(cut.length)
    expect(whole.error).toBeInstanceOf(UnreadableBatchError)
    expect((whole.error as UnreadableBatchError).line).toBe(whole.found.length + 1)
    expect(whole.found).toEqual(Array.from({length: whole.found.length}, (_, i) => i + 1))
    // Fewer bytes came than the object has: the transfer failed, not the file.
    const short = await read(cut.length + 1)
    expect(short.error).toBeDefined()
    expect(short.error).not.toBeInstanceOf(UnreadableBatchError)
  })

  it('that break off in their gzip data yield every line that can be read, however the data arrives', async () => {
    const text = Array.from({length: 2000}, (_, i) => JSON.stringify(track(i))).join('\n')
    const cut = gzipSync(text).subarray(0, 9000)
    // What zlib itself reads of the cut data: every complete line of it.
    const readable = gunzipSync(cut, {finishFlush: constants.Z_SYNC_FLUSH}).toString().split('\n').length - 1
    expect(readable).toBeGreaterThan(100)
    expect(readable).toBeLessThan(2000)
    for (const size of [1000, 4096, cut.length]) {
      const found: number[] = []
      const error = await (async () => {
        for await (const {line} of batchLines(chunksOf(cut, size), {gzip: true})) found.push(line)
      })().catch((error: unknown) => error)
      expect(found).toEqual(Array.from({length: readable}, (_, i) => i + 1))
      expect(error).toBeInstanceOf(UnreadableBatchError)
      expect((error as UnreadableBatchError).line).toBe(readable + 1)
    }
  })

  it('say how large a record too large to be read is, though only its start is held', async () => {
    const long = `{"ArtistID": "${'x'.repeat(20 * 1024 * 1024)}"}`
    // Its CR is not part of it.
    const check = await checkBatch(chunksOf(`${JSON.stringify(track(1))}\n${long}\r\n`, 65536), {gzip: false})
    expect(check.problems).toEqual([
      expect.objectContaining({
        line: 2,
        record: 2,
        reason: 'too-large',
        message: 'the record is 20971536 bytes; the limit is 1048576 bytes (1 MiB)',
      }),
    ])
  })

  it('list their first 100 problems, then count the rest by reason; validate says how many more there are', async () => {
    const dir = tempDir('eventpulse-batch-')
    const file = join(dir, 'catalog.ndjson')
    const lines = [
      JSON.stringify(track(1)),
      ...Array(119).fill('{"ArtistID":'), // invalid-json
      ...Array(30).fill('{"ArtistID": "A"}'), // schema
    ]
    await writeFile(file, lines.join('\n'))
    const result = await validatePaths([file])
    expect(result.files[0].records).toEqual({valid: 1, invalid: 149})
    expect(result.files[0].errors).toHaveLength(100)
    expect(result.files[0].errors.at(-1)).toMatchObject({line: 101, reason: 'invalid-json'})
    expect(result.files[0].moreProblems).toEqual({count: 49, reasons: {'invalid-json': 19, schema: 30}})
    const printed = validationLines(result)
    expect(printed).toHaveLength(103)
    expect(printed.slice(-3)).toEqual([
      `${file}: 49 more problems not shown (19 invalid-json, 30 schema).`,
      `${file}: 150 records, 1 valid, 149 invalid (file invalid).`,
      'Checked 1 file: 0 valid, 1 invalid.',
    ])
    // What stopped the reading is listed after the first 100, however many came before it.
    const cut = gzipSync(lines.join('\n'))
    const broken = await checkBatch(chunksOf(cut.subarray(0, cut.length - 20), 4096), {gzip: true})
    expect(broken.problems).toHaveLength(101)
    expect(broken.problems[100]).toMatchObject({line: broken.valid + broken.invalid, reason: 'invalid-json'})
    expect(broken.problems[100].message).toMatch(/^not readable as gzip past record \d+: the gzip data cannot be read/)
  })
})
