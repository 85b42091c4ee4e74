import {createHash} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {constants, gunzipSync, gzipSync} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {
  decodeMetadataValue,
  ITEM_METADATA,
  parseQuarantineKey,
  QUARANTINE_METADATA,
  quarantineKey,
} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {DeleteItemCommand} from '@aws-sdk/client-dynamodb'
import {HeadObjectCommand} from '@aws-sdk/client-s3'
import {validatePaths} from '#validate/validate-files.js'
import {removeDir, startTestPipeline, stopTestPipeline, temporaryDir, type TestPipeline} from './helpers.js'

const track = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ArtistID: 'Batch Artist', ItemID: `TRACK#${n}`, EntityType: 'Track', Duration: 100 + n, ...extra})

let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline({batch: {linesPerCheckpoint: 3}})
})

afterAll(() => stopTestPipeline(t))

describe('a batch object', () => {
  test('ends each record stored XOR quarantined with its reason, one entry per line, one notification, the object removed', async () => {
    // Already stored before the batch: one the batch repeats exactly (unchanged), one it contradicts (duplicate).
    await t.upload('before/100.json', track(100))
    await t.upload('before/101.json', track(101))
    await t.pipeline.idle()
    const lines = [
      track(1), // 1 stored
      '', // 2 blank: skipped
      '{"ArtistID": "Batch Artist",', // 3 invalid-json
      JSON.stringify({ArtistID: 'Batch Artist', Title: 4}), // 4 schema
      track(5), // 5 stored
      track(5, {Duration: 1}), // 6 duplicate of line 5 within the batch
      track(5), // 7 the same record as line 5: unchanged
      track(100), // 8 already stored exactly so: unchanged
      track(101, {Duration: 7}), // 9 duplicate of an earlier upload
      JSON.stringify({Item: {ArtistID: {S: 'Batch Artist'}, ItemID: {S: 'TRACK#10'}, EntityType: {S: 'Track'}}}), // 10 export line
    ]
    const key = 'catalogs/mixed.ndjson'
    const etag = await t.upload(key, lines.join('\n') + '\n')
    await t.pipeline.idle()

    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
    const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
    expect(stored.map((item) => [item.ItemID.S, item[ITEM_METADATA.sourceLine]?.N]).sort()).toEqual([
      ['TRACK#1', '1'],
      ['TRACK#10', '10'],
      ['TRACK#5', '5'],
    ])
    const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))
    const quarantined = await Promise.all(entries.map((entry) => t.quarantined(entry)))
    const byLine = Object.fromEntries(
      quarantined.map(({metadata, body}) => [
        metadata[QUARANTINE_METADATA.sourceLine],
        {reason: metadata[QUARANTINE_METADATA.reason], body},
      ]),
    )
    expect(byLine).toEqual({
      3: {reason: 'invalid-json', body: lines[2]},
      4: {reason: 'schema', body: lines[3]},
      6: {reason: 'duplicate', body: lines[5]},
      9: {reason: 'duplicate', body: lines[8]},
    })
    for (const line of [3, 4, 6, 9]) expect(entries).toContain(quarantineKey(key, {etag}, line))
    expect(entries.every((entry) => parseQuarantineKey(entry)?.sourceKey === key)).toBe(true)

    const notifications = t.notifications.filter((n) => n.sourceKey === key)
    expect(notifications).toHaveLength(1)
    expect(notifications[0]).toMatchObject({
      outcome: 'batch',
      batch: {
        outcomes: ['stored', 'unchanged', 'quarantined'],
        counts: {
          records: 9,
          stored: 3,
          unchanged: 2,
          quarantined: 4,
          reasons: {'invalid-json': 1, schema: 1, duplicate: 2},
        },
      },
    })
    // Where and why, never values.
    expect(notifications[0].batch!.problems).toEqual([
      {line: 3, path: '', reason: 'invalid-json'},
      {line: 4, path: '', reason: 'schema'},
      {line: 6, path: '', reason: 'duplicate'},
      {line: 9, path: '', reason: 'duplicate'},
    ])
    const summary = await t.outcome(key, etag)
    expect(summary?.[OUTCOMES_TABLE.attributes.outcome]).toEqual({S: 'batch'})
    expect(summary?.[OUTCOMES_TABLE.attributes.leaseExpiresAt]).toBeUndefined()

    // Delivered again (the same upload), its record of being done lost: every line is done again, and finds its own
    // item or entry: no second item or entry, no line a duplicate of itself.
    const {state} = t.pipeline
    await t.pipeline.dynamodb.send(
      new DeleteItemCommand({
        TableName: state.outcomesTable,
        Key: {[OUTCOMES_TABLE.partitionKey]: {S: key}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
      }),
    )
    await t.upload(key, lines.join('\n') + '\n')
    await t.pipeline.idle()
    const again = t.notifications.filter((n) => n.sourceKey === key)
    expect(again.at(-1)).toMatchObject({batch: {counts: {stored: 3, unchanged: 2, quarantined: 4}}})
    expect((await t.keys(state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))).toEqual(entries)
  })

  test('whose gzip data breaks off: every readable line is done, the object quarantined whole at the first line lost, as validate says', async () => {
    // Titles that hardly compress, so the cut object arrives in many chunks (a lost last chunk would lose lines).
    const lines = Array.from({length: 1500}, (_, i) =>
      track(1000 + i, {Title: createHash('sha512').update(String(i)).digest('hex')}),
    )
    const whole = gzipSync(lines.join('\n') + '\n')
    const key = 'catalogs/cut.ndjson.gz'
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6))
    expect(cut.length).toBeGreaterThan(65_536)
    // What zlib itself reads of the cut data: every complete line of it.
    const readable = gunzipSync(cut, {finishFlush: constants.Z_SYNC_FLUSH}).toString().split('\n').length - 1
    const lost = readable + 1
    const etag = await t.upload(key, cut)
    await t.pipeline.idle()

    const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
    // Exactly the readable lines, each once.
    expect(stored.map((item) => Number(item[ITEM_METADATA.sourceLine].N)).sort((a, b) => a - b)).toEqual(
      Array.from({length: readable}, (_, i) => i + 1),
    )
    const entry = quarantineKey(key, {etag}, lost)
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))).toEqual([entry])
    // The entry is the object as uploaded, for the admin to mend and send again.
    const head = await t.pipeline.s3.send(
      new HeadObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}),
    )
    expect(head.ContentLength).toBe(cut.length)
    expect(head.Metadata?.[QUARANTINE_METADATA.reason]).toBe('invalid-json')
    expect(head.Metadata?.[QUARANTINE_METADATA.sourceLine]).toBe(String(lost))
    expect(t.notifications.filter((n) => n.sourceKey === key)).toEqual([
      expect.objectContaining({
        outcome: 'batch',
        batch: expect.objectContaining({
          counts: {records: lost, stored: lost - 1, unchanged: 0, quarantined: 1, reasons: {'invalid-json': 1}},
          problems: [{line: lost, path: '', reason: 'invalid-json'}],
        }),
      }),
    ])
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])

    // validate, reading the same bytes from a file, counts and names the same.
    const dir = await temporaryDir()
    try {
      await writeFile(join(dir, 'cut.ndjson.gz'), cut)
      const {files} = await validatePaths([join(dir, 'cut.ndjson.gz')])
      expect(files[0].records).toEqual({valid: readable, invalid: 1})
      expect(files[0].errors).toEqual([expect.objectContaining({line: lost, reason: 'invalid-json'})])
    } finally {
      await removeDir(dir)
    }
  })

  test('with a line far over the record size: its entry says the true size, though only its start is held', async () => {
    const long = `{"ArtistID": "${'x'.repeat(3 * 1024 * 1024)}"}`
    const key = 'catalogs/long-line.ndjson'
    const etag = await t.upload(key, `${track(2000)}\n${long}\n`)
    await t.pipeline.idle()
    const {metadata, body} = await t.quarantined(quarantineKey(key, {etag}, 2))
    expect(metadata[QUARANTINE_METADATA.reason]).toBe('too-large')
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(
      'line 2, column 1: the record is 3145744 bytes; the limit is 1048576 bytes (1 MiB)',
    )
    expect(body).toHaveLength(1024 * 1024 + 1)
  })

  test('that runs out of time continues from its checkpoint in a new invocation, redoing no stored line', async () => {
    let puts = 0
    // Each invocation has 2 s before its stop margin, and each record's put takes 300 ms, one at a time: an invocation
    // does a few lines, then stops at its next record and goes on in a new one.
    const continuing = await startTestPipeline({
      invocationTimeoutMs: 60_000,
      batch: {linesPerCheckpoint: 5, stopMarginMs: 58_000, parallelism: 1},
      instrumentHandlerClients({dynamodb}) {
        dynamodb.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'PutItemCommand') {
              puts++
              await new Promise((resolve) => setTimeout(resolve, 300))
            }
            return next(args)
          },
          {step: 'initialize', name: 'countPuts'},
        )
      },
    })
    try {
      const key = 'catalogs/long.jsonl'
      const lines = Array.from({length: 23}, (_, i) => track(1000 + i))
      await continuing.upload(key, lines.join('\n'))
      await continuing.pipeline.idle()
      expect(continuing.pipeline.stats()).toMatchObject({batch: 1, skipped: 0})
      expect(continuing.pipeline.stats().continuing).toBeGreaterThanOrEqual(2)
      expect(puts).toBe(23)
      expect((await continuing.items()).length).toBe(23)
      expect(continuing.notifications).toEqual([
        expect.objectContaining({
          outcome: 'batch',
          batch: expect.objectContaining({counts: expect.objectContaining({stored: 23})}),
        }),
      ])
    } finally {
      await continuing.pipeline.stop()
      await removeDir(continuing.dataDir)
    }
  })
})
