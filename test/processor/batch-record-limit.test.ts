import {gzipSync} from 'node:zlib'

import {HeadObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, expect, test, vi} from 'vitest'

import {decodeMetadataValue, ITEM_METADATA, QUARANTINE_METADATA, quarantineKey} from '#contract/pipeline-contract.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// A batch past the limits, with the record limit lowered to 2 records and the text limit to 1,000 bytes (a million
// records would take minutes here).
vi.mock('#contract/limits.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('#contract/limits.js')>()),
  MAX_BATCH_RECORDS: 2,
  MAX_BATCH_TEXT_BYTES: 1000,
}))

let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline()
})

afterAll(() => stopTestPipeline(t))

const track = (n: number) => JSON.stringify({ArtistID: 'Limit Artist', ItemID: `TRACK#${n}`, EntityType: 'Track'})

/** The one entry of the rest of `key`: the object whole, at `line`, as too-large, with its message. */
async function restEntry(key: string, etag: string, line: number, size: number) {
  const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))
  expect(entries).toEqual([quarantineKey(key, {etag}, line)])
  const head = await t.pipeline.s3.send(
    new HeadObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entries[0]}),
  )
  expect(head.ContentLength).toBe(size)
  expect(head.Metadata?.[QUARANTINE_METADATA.reason]).toBe('too-large')
  expect(head.Metadata?.[QUARANTINE_METADATA.sourceLine]).toBe(String(line))
  return decodeMetadataValue(head.Metadata![QUARANTINE_METADATA.message])
}

/** The one notification of batch `key`: its counts, and the rest's entry as its one problem, at `line`. */
function expectOneNotification(key: string, counts: Record<string, unknown>, line: number) {
  expect(t.notifications.filter((n) => n.sourceKey === key)).toEqual([
    expect.objectContaining({
      batch: expect.objectContaining({
        counts: {unchanged: 0, ...counts, quarantined: 1, reasons: {'too-large': 1}},
        problems: [{line, path: '', reason: 'too-large'}],
      }),
    }),
  ])
}

test('past the record limit, reading stops: the rest is one too-large entry at the first record not taken', async () => {
  const key = 'limits/long.ndjson'
  // Blank lines are not records: record 3 is line 4. Line 5 is not even JSON, and is never read.
  const text = [track(1), '', track(2), track(3), '{"ArtistID":'].join('\n')
  const etag = await t.upload(key, text)
  await t.pipeline.idle()

  const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
  expect(stored.map((item) => item[ITEM_METADATA.sourceLine].N).sort()).toEqual(['1', '3'])
  expect(await restEntry(key, etag, 4, Buffer.byteLength(text))).toBe(
    'record 3 and all after it are past the limit of 2 records per batch, and were not read; split the file',
  )
  expectOneNotification(key, {records: 3, stored: 2}, 4)
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
})

test('a 7 MB gzip of one record repeated 29 million times: one entry for the rest, counts of 3 records', async () => {
  const line = `${track(7)}\n`
  // Gzip members one after another are one gzip file (RFC 1952), so the bomb is made in milliseconds.
  const member = gzipSync(line.repeat(200_000), {level: 9})
  const bomb = Buffer.concat(Array.from({length: 145}, () => member))
  expect(bomb.length).toBeGreaterThan(6_500_000)
  expect(bomb.length).toBeLessThan(7_500_000)
  const key = 'limits/bomb.ndjson.gz'
  const etag = await t.upload(key, bomb)
  await t.pipeline.idle()

  const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
  expect(stored.map((item) => item[ITEM_METADATA.sourceLine].N)).toEqual(['1'])
  expect(await restEntry(key, etag, 3, bomb.length)).toBe(
    'record 3 and all after it are past the limit of 2 records per batch, and were not read; split the file',
  )
  // Line 2 is line 1 again, from the same upload: unchanged.
  expectOneNotification(key, {records: 3, stored: 1, unchanged: 1}, 3)
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
})

test('past the text limit, reading stops: the line the limit falls in and the rest are one too-large entry', async () => {
  // 600-byte lines: the first is within 1,000 bytes of text, the second is not (the limit counts decompressed bytes).
  const padded = (n: number) => {
    const record = JSON.stringify({ArtistID: 'Wide Artist', ItemID: `TRACK#${n}`, EntityType: 'Track', Title: ''})
    return record.replace('"Title":""', `"Title":"${'x'.repeat(600 - record.length)}"`)
  }
  expect(padded(1)).toHaveLength(600)
  const key = 'limits/wide.ndjson.gz'
  const body = gzipSync(Array.from({length: 1000}, (_, i) => padded(i + 1)).join('\n'))
  const etag = await t.upload(key, body)
  await t.pipeline.idle()

  const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
  expect(stored.map((item) => item[ITEM_METADATA.sourceLine].N)).toEqual(['1'])
  expect(await restEntry(key, etag, 2, body.length)).toBe(
    'the batch holds more than 1000 bytes of text once decompressed; lines from 2 on were not read; split the file',
  )
  expectOneNotification(key, {records: 2, stored: 1}, 2)
})
