import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {decodeMetadataValue, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// Lines `upload --batch` packed carry the file each record came from: the record alone is checked and stored, and
// its quarantine entry names the file. The lines here are written by hand, as the packer writes them.

const track = (n: number) =>
  `{"ArtistID": "Packed Lines", "ItemID": "TRACK#${n}", "EntityType": "Track", "Duration": ${n}}`
const packed = (file: string, record: string) => `{"ep_packed_file":${JSON.stringify(file)},"record":${record}}`

let t: TestPipeline
const calls: string[] = []

beforeAll(async () => {
  t = await startTestPipeline({
    instrumentHandlerClients(clients) {
      for (const client of [clients.s3, clients.dynamodb])
        client.middlewareStack.add(
          (next, context) => (args) => {
            calls.push(context.commandName ?? 'unknown')
            return next(args)
          },
          {step: 'initialize', name: 'countPackedLineCalls'},
        )
    },
  })
})
afterAll(() => stopTestPipeline(t))

/** Uploads a batch, waits for it, and returns its entries by line: file named, reason, content. */
async function sendBatch(key: string, lines: string[]) {
  calls.length = 0
  await t.upload(key, lines.join('\n') + '\n')
  await t.pipeline.idle()
  const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter((entry) => entry.startsWith(`${key}/`))
  const quarantined = await Promise.all(entries.map((entry) => t.quarantined(entry)))
  const byLine = Object.fromEntries(
    quarantined.map(({metadata, body}) => [
      metadata[QUARANTINE_METADATA.sourceLine],
      {
        file: metadata[QUARANTINE_METADATA.sourceFile] && decodeMetadataValue(metadata[QUARANTINE_METADATA.sourceFile]),
        reason: metadata[QUARANTINE_METADATA.reason],
        body,
      },
    ]),
  )
  return {byLine, calls: [...calls]}
}

describe('a batch of packed lines', () => {
  test('stores each record as it is, and names its file in the entry of each record quarantined', async () => {
    const {byLine} = await sendBatch('packed/names.ndjson', [
      packed('dir-A/artist-000/song-4000.json', track(1)),
      packed('dir-A/artist-000/song-4001.json', '{"ArtistID": "Packed Lines", "Title": 4}'),
      packed('dir A/"quoted" sóng.json', '{"ArtistID": '),
    ])
    const item = await t.item('Packed Lines', 'TRACK#1')
    expect(
      Object.keys(item!)
        .filter((name) => !name.startsWith('ep_'))
        .sort(),
    ).toEqual(['ArtistID', 'Duration', 'EntityType', 'ItemID'])
    expect(byLine).toEqual({
      2: {file: 'dir-A/artist-000/song-4001.json', reason: 'schema', body: '{"ArtistID": "Packed Lines", "Title": 4}'},
      3: {file: 'dir A/"quoted" sóng.json', reason: 'invalid-json', body: '{"ArtistID": '},
    })
  })

  test('lets nothing but the record in: a line not exactly of the packed form is a record as it is', async () => {
    const {byLine} = await sendBatch('packed/smuggled.ndjson', [
      `{"ep_packed_file":"a.json","Title":"smuggled","record":${track(2)}}`,
      `{"ep_packed_file":"b.json","record":${track(3)},"Title":"smuggled"}`,
      `{"ep_packed_file":7,"record":${track(4)}}`,
    ])
    expect(await t.item('Packed Lines', 'TRACK#2')).toBeUndefined()
    expect(await t.item('Packed Lines', 'TRACK#3')).toBeUndefined()
    expect(await t.item('Packed Lines', 'TRACK#4')).toBeUndefined()
    expect(byLine).toEqual({
      1: {
        file: undefined,
        reason: 'schema',
        body: `{"ep_packed_file":"a.json","Title":"smuggled","record":${track(2)}}`,
      },
      2: {file: 'b.json', reason: 'invalid-json', body: `${track(3)},"Title":"smuggled"`},
      3: {file: undefined, reason: 'schema', body: `{"ep_packed_file":7,"record":${track(4)}}`},
    })
  })

  test('far over the record size: its entry names the file and the true size of the record, without the wrapper', async () => {
    const long = `{"ArtistID": "${'x'.repeat(3 * 1024 * 1024)}"}`
    const {byLine} = await sendBatch('packed/long.ndjson', [packed('dir-A/long.json', long)])
    expect(byLine[1]).toMatchObject({file: 'dir-A/long.json', reason: 'too-large'})
    expect(byLine[1].body).toHaveLength(1024 * 1024 + 1)
    const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter((key) => key.startsWith('packed/long'))
    const {metadata} = await t.quarantined(entry)
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(
      'line 1, column 1: the record is 3145744 bytes; the limit is 1048576 bytes (1 MiB)',
    )
  })

  test('costs no AWS call more per stored record than plain lines; a quarantined one records where it went (one write)', async () => {
    const plain = await sendBatch('packed/plain.ndjson', [track(10), track(11), track(12)])
    const named = await sendBatch(
      'packed/named.ndjson',
      [13, 14, 15].map((n) => packed(`f${n}.json`, track(n))),
    )
    expect(named.calls.sort()).toEqual(plain.calls.sort())
    const plainBad = await sendBatch('packed/plain-bad.ndjson', ['{"bad": ', '{"bad": 2'])
    const namedBad = await sendBatch('packed/named-bad.ndjson', [
      packed('a.json', '{"bad": '),
      packed('b.json', '{"bad": 2'),
    ])
    const count = (list: string[], name: string) => list.filter((call) => call === name).length
    expect(count(namedBad.calls, 'PutItemCommand')).toBe(count(plainBad.calls, 'PutItemCommand') + 2)
    expect(namedBad.calls.filter((call) => call !== 'PutItemCommand').sort()).toEqual(
      plainBad.calls.filter((call) => call !== 'PutItemCommand').sort(),
    )
  })
})
