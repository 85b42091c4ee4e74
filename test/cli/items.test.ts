import {BatchWriteItemCommand, PutItemCommand} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import type {LocalPipeline} from '#local/pipeline.js'
import type {runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'

// `items get` and `items list` on the local pipeline, reading back what the pipeline stored.

let pipeline: LocalPipeline
let cli: (args: string[], input?: string) => ReturnType<typeof runCli>

/** Items straight into the table, each about 4 KB, so that 300 of them fill more than one 1 MB page. */
async function storeMany(artist: string, count: number): Promise<void> {
  const title = 'x'.repeat(4000)
  for (let start = 0; start < count; start += 25) {
    const requests = Array.from({length: Math.min(25, count - start)}, (_, offset) => ({
      PutRequest: {
        Item: {
          ArtistID: {S: artist},
          ItemID: {S: `TRACK#${String(start + offset).padStart(4, '0')}`},
          Title: {S: title},
          [ITEM_METADATA.sourceKey]: {S: `bulk/${start + offset}.json`},
        },
      },
    }))
    await pipeline.dynamodb.send(new BatchWriteItemCommand({RequestItems: {[pipeline.state.table]: requests}}))
  }
}

beforeAll(async () => {
  ;({pipeline, cli} = await startPipelineForCli())
  const record = {ArtistID: 'Knock2', ItemID: 'TRACK#FeelULuvMe', Duration: 234, Features: ['Isoxo']}
  await pipeline.s3.send(
    new PutObjectCommand({
      Bucket: pipeline.state.processingBucket,
      Key: 'knock2.json',
      Body: JSON.stringify(record),
      IfNoneMatch: '*',
    }),
  )
  await pipeline.dynamodb.send(
    new PutItemCommand({
      TableName: pipeline.state.table,
      Item: {ArtistID: {S: 'Knock2'}, ItemID: {S: 'ALBUM#nothing changes'}, Year: {N: '2024'}},
    }),
  )
  await storeMany('Bulk', 300)
  await pipeline.idle()
})
afterAll(() => pipeline?.stop())

describe('items get', () => {
  it('prints the stored record as plain JSON, and where it came from', async () => {
    const run = await cli(['items', 'get', 'Knock2', 'TRACK#FeelULuvMe'])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      ArtistID: 'Knock2',
      ItemID: 'TRACK#FeelULuvMe',
      Duration: 234,
      Features: ['Isoxo'],
    })
    expect(run.stderr).toMatch(/from knock2\.json, stored \d{4}-\d\d-\d\dT/)
  })

  it('prints DynamoDB JSON with --typed, and one document with --json', async () => {
    const run = await cli(['items', 'get', 'Knock2', 'TRACK#FeelULuvMe', '--typed', '--json'])
    expect(run.exitCode).toBe(0)
    const {status, result} = JSON.parse(run.stdout)
    expect(status).toBe(0)
    expect(result.found).toBe(true)
    expect(result.item).toMatchObject({artistId: 'Knock2', itemId: 'TRACK#FeelULuvMe', sourceKey: 'knock2.json'})
    expect(result.item.record).toEqual({
      ArtistID: {S: 'Knock2'},
      ItemID: {S: 'TRACK#FeelULuvMe'},
      Duration: {N: '234'},
      Features: {L: [{S: 'Isoxo'}]},
    })
  })

  it('exits 1 for an item that is not stored', async () => {
    const run = await cli(['items', 'get', 'Knock2', 'TRACK#Nope', '--json'])
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout)).toEqual({status: 1, result: {found: false}})
  })
})

describe('items list', () => {
  it("lists one artist's items, narrowed by an ItemID prefix", async () => {
    const all = await cli(['items', 'list', '--artist', 'Knock2'])
    expect(all.exitCode).toBe(0)
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[1]),
    ).toEqual(['ALBUM#nothing changes', 'TRACK#FeelULuvMe'])
    const tracks = await cli(['items', 'list', '--artist', 'Knock2', '--prefix', 'TRACK#', '--json'])
    expect(JSON.parse(tracks.stdout).result.items.map((item: {itemId: string}) => item.itemId)).toEqual([
      'TRACK#FeelULuvMe',
    ])
  })

  it('pages past 1 MB query pages, and stops at --limit', async () => {
    const all = JSON.parse((await cli(['items', 'list', '--artist', 'Bulk', '--json'])).stdout)
    expect(all.result.count).toBe(300)
    expect(new Set(all.result.items.map((item: {itemId: string}) => item.itemId)).size).toBe(300)
    const some = JSON.parse((await cli(['items', 'list', '--artist', 'Bulk', '--limit', '7', '--json'])).stdout)
    expect(some.result.count).toBe(7)
  })

  it('scans the whole table only with --all, saying what it costs', async () => {
    const refused = await cli(['items', 'list', '--json'])
    expect(refused.exitCode).toBe(2)
    expect(JSON.parse(refused.stdout).error.message).toMatch(/whose items/)
    const scanned = await cli(['items', 'list', '--all', '--json'])
    expect(scanned.exitCode).toBe(0)
    expect(JSON.parse(scanned.stdout).result.count).toBe(302)
    const text = await cli(['items', 'list', '--all', '--limit', '1'])
    expect(text.stderr).toMatch(/every item is read and billed/)
    expect(text.stdout.trim().split('\n')).toHaveLength(1)
  })
})

describe('items export', () => {
  it('writes each record typed exactly as uploaded, with none of the metadata the pipeline stores beside it', async () => {
    const run = await cli(['items', 'export', '--artist', 'Knock2', '--typed'])
    expect(run.exitCode).toBe(0)
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toEqual([
      {ArtistID: {S: 'Knock2'}, ItemID: {S: 'ALBUM#nothing changes'}, Year: {N: '2024'}},
      {
        ArtistID: {S: 'Knock2'},
        ItemID: {S: 'TRACK#FeelULuvMe'},
        Duration: {N: '234'},
        Features: {L: [{S: 'Isoxo'}]},
      },
    ])
  })
})
