import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {ScanCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {sameRecord} from '#record/same-record.js'
import {runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {tempDir} from '../helpers/temp-dirs.js'

type Cli = (args: string[], input?: string) => ReturnType<typeof runCli>

const track = (artist: string, n: number) => ({
  ArtistID: artist,
  ItemID: `TRACK#${n}`,
  EntityType: 'Track',
  Duration: 100 + n,
  Features: [`Guest ${n}`],
})

let source: {pipeline: LocalPipeline; cli: Cli}
let empty: {pipeline: LocalPipeline; cli: Cli}
let dir: string

const json = async (cli: Cli, args: string[]) => {
  const run = await cli([...args, '--json'])
  return {exitCode: run.exitCode, stderr: run.stderr, ...JSON.parse(run.stdout)}
}
const scan = async (pipeline: LocalPipeline) =>
  (await pipeline.dynamodb.send(new ScanCommand({TableName: pipeline.state.table}))).Items ?? []

beforeAll(async () => {
  ;[source, empty] = await Promise.all([startPipelineForCli(), startPipelineForCli()])
  dir = tempDir('ep-batch-')
})
afterAll(async () => {
  await source?.pipeline.stop()
  await empty?.pipeline.stop()
})

describe('upload of a batch file', () => {
  it('refuses a file with an invalid record (path:line:column, record number); --no-validate sends it, and --wait and status give per-record counts', async () => {
    const file = join(dir, 'catalog.ndjson')
    const lines = [1, 2, 3].map((n) => JSON.stringify(track('Batch CLI', n)))
    writeFileSync(file, [...lines, '{"ArtistID": "Batch CLI"}'].join('\n') + '\n')

    const refused = await source.cli(['upload', file])
    expect(refused.exitCode).toBe(1)
    expect(refused.stdout + refused.stderr).toMatch(new RegExp(`${file}:4:1  record 4: .*\\[schema\\]`))

    const sent = await json(source.cli, ['upload', file, '--no-validate', '--wait'])
    expect(sent.exitCode).toBe(1)
    expect(sent.result.summary).toMatchObject({files: 1, uploaded: 1, stored: 3, quarantined: 1, pending: 0})
    expect(sent.result.files[0].outcome).toMatchObject({
      state: 'batch',
      counts: {records: 4, stored: 3, quarantined: 1, reasons: {schema: 1}},
    })

    const status = await json(source.cli, ['status', 'catalog.ndjson'])
    expect(status.result.keys[0]).toMatchObject({state: 'batch', counts: {stored: 3, quarantined: 1}})
    const text = await source.cli(['status', 'catalog.ndjson'])
    expect(text.stdout).toContain("quarantine list --prefix 'catalog.ndjson/'")

    const shown = await json(source.cli, ['quarantine', 'show', 'catalog.ndjson', '--line', '4'])
    expect(shown.result.entries).toEqual([
      expect.objectContaining({line: 4, reason: 'schema', content: '{"ArtistID": "Batch CLI"}'}),
    ])
    const none = await source.cli(['quarantine', 'show', 'catalog.ndjson', '--line', '3'])
    expect(none.exitCode).toBe(1)
  })

  it('release --line N --wait of a batch line quarantined again counts it: exit 1, "1 quarantined again"', async () => {
    const file = join(dir, 'release-again.ndjson')
    writeFileSync(file, `${JSON.stringify(track('Released', 1))}\n{"ArtistID": "Released"}\n`)
    const sent = await json(source.cli, ['upload', file, '--no-validate', '--wait'])
    expect(sent.result.summary).toMatchObject({stored: 1, quarantined: 1})

    // Released as it is, the line is quarantined again for the same reason.
    const released = await source.cli([
      'quarantine',
      'release',
      'release-again.ndjson',
      '--line',
      '2',
      '--yes',
      '--wait',
      '--timeout',
      '60s',
    ])
    expect(released.stdout).toContain('1 released: 0 stored, 1 quarantined again.')
    expect(released.exitCode).toBe(1)
  })

  it('items export writes NDJSON (plain or typed) that upload takes back unchanged into an empty pipeline', async () => {
    for (const n of [10, 11, 12]) {
      const path = join(dir, `single-${n}.json`)
      writeFileSync(path, JSON.stringify(track('Round Trip', n)))
      expect((await source.cli(['upload', path, '--wait'])).exitCode).toBe(0)
    }
    const plain = await source.cli(['items', 'export', '--artist', 'Round Trip'])
    const typed = await source.cli(['items', 'export', '--all', '--typed'])
    expect(plain.exitCode).toBe(0)
    expect(plain.stdout.trim().split('\n')).toHaveLength(3)
    writeFileSync(join(dir, 'round-trip.ndjson'), plain.stdout)
    writeFileSync(join(dir, 'everything.jsonl'), typed.stdout)

    const back = await json(empty.cli, ['upload', join(dir, 'round-trip.ndjson'), '--wait'])
    expect(back.result.summary).toMatchObject({stored: 3, quarantined: 0})
    // The typed export holds the same three again: unchanged; the rest is stored.
    const all = await json(empty.cli, ['upload', join(dir, 'everything.jsonl'), '--wait'])
    expect(all.result.summary).toMatchObject({unchanged: 3, quarantined: 0})

    const original = await scan(source.pipeline)
    const copied = await scan(empty.pipeline)
    expect(copied).toHaveLength(original.length)
    for (const item of original) {
      const copy = copied.find((c) => c.ArtistID.S === item.ArtistID.S && c.ItemID.S === item.ItemID.S)
      expect(copy && sameRecord(copy, item)).toBe(true)
    }
  })

  it('--batch N packs single-record files into batch objects, each file traceable to its object and line; a re-run makes the same batches, unchanged', async () => {
    const folder = join(dir, 'singles')
    mkdirSync(folder)
    for (const n of [30, 31, 32, 33])
      writeFileSync(join(folder, `t${n}.json`), JSON.stringify(track('Packed', n), null, 2))
    writeFileSync(join(folder, 't34.json'), '{"ArtistID": "Packed"')
    const run = () => json(source.cli, ['upload', folder, '--batch', '3', '--prefix', 'packed', '--wait'])
    const first = await run()
    expect(first.result.summary).toMatchObject({invalid: 1, uploaded: 2, stored: 4, quarantined: 0})
    const keys = [...new Set(first.result.packed.map((p: {key: string}) => p.key))]
    expect(keys).toHaveLength(2)
    expect(keys.every((key) => /^packed\/batch-[0-9a-f]{16}\.ndjson$/.test(key as string))).toBe(true)
    expect(first.result.packed).toEqual([
      {file: `${folder}/t30.json`, key: keys[0], line: 1},
      {file: `${folder}/t31.json`, key: keys[0], line: 2},
      {file: `${folder}/t32.json`, key: keys[0], line: 3},
      {file: `${folder}/t33.json`, key: keys[1], line: 1},
    ])
    const stored = (await scan(source.pipeline)).filter((item) => item.ArtistID.S === 'Packed')
    expect(stored.map((item) => [item.ItemID.S, item.ep_source_key.S, item.ep_source_line.N]).sort()).toEqual([
      ['TRACK#30', keys[0], '1'],
      ['TRACK#31', keys[0], '2'],
      ['TRACK#32', keys[0], '3'],
      ['TRACK#33', keys[1], '1'],
    ])
    // A packed file has no key of its own: `status FILE` finds its record stored from its batch line.
    const found = await json(source.cli, ['status', join(folder, 't31.json')])
    expect(found.exitCode).toBe(0)
    expect(found.result.keys).toMatchObject([
      {
        key: 't31.json',
        state: 'stored',
        item: {ArtistID: 'Packed', ItemID: 'TRACK#31'},
        packedInto: {key: keys[0], line: 2},
      },
    ])
    const text = await source.cli(['status', join(folder, 't31.json')])
    expect(text.stdout).toContain(
      `stored       t31.json  (Packed / TRACK#31, line 2 of ${keys[0]} (packed by upload --batch), `,
    )
    const again = await run()
    expect(again.result.packed).toEqual(first.result.packed)
    expect(again.result.summary).toMatchObject({uploaded: 0, unchanged: 4, quarantined: 0})
    expect(again.exitCode).toBe(1)
  })

  it("takes a gzip file in DynamoDB's export format, with the pipeline's metadata attributes in it", async () => {
    const exported = [20, 21].map((n) =>
      JSON.stringify({
        Item: {
          ArtistID: {S: 'Exported'},
          ItemID: {S: `TRACK#${n}`},
          EntityType: {S: 'Track'},
          ep_source_key: {S: 'old/key.json'},
          ep_source_etag: {S: '0123'},
          ep_ingested_at: {S: '2026-01-01T00:00:00.000Z'},
        },
      }),
    )
    const file = join(dir, 'export-part-0001.json.gz')
    writeFileSync(file, gzipSync(exported.join('\n') + '\n'))
    expect((await runCli(['validate', file])).exitCode).toBe(0)
    const sent = await json(source.cli, ['upload', file, '--wait'])
    expect(sent.exitCode).toBe(0)
    expect(sent.result.summary).toMatchObject({stored: 2, quarantined: 0})
    const items = (await scan(source.pipeline)).filter((item) => item.ArtistID.S === 'Exported')
    expect(items.map((item) => item.ep_source_key.S)).toEqual(['export-part-0001.json.gz', 'export-part-0001.json.gz'])
  })
})
