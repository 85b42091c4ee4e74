import {paginateQuery, PutItemCommand, QueryCommand, type QueryCommandOutput} from '@aws-sdk/client-dynamodb'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {getItem, listItems, type ListItemsOptions, storedItem} from '#items/read-items.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline, trackRecord} from '../processor/helpers.js'

// `items get|list|export` in-process, against the local pipeline's emulators: items stored by the processor from
// uploads (with the pipeline's metadata), and a few put by hand (a selftest canary, items large enough for DynamoDB
// to answer in several pages).

let t: TestPipeline
let target: PipelineTarget
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
/** Items of about 100 KB each: twelve fill more than one 1 MB page. */
const BIG = Array.from({length: 12}, (_, i) => `TRACK#big-${String(i).padStart(2, '0')}`)

beforeAll(async () => {
  t = await startTestPipeline()
  target = adminOf(t.pipeline).target
  const seed = [
    trackRecord('Knock2', 'beta'),
    trackRecord('Knock2', 'alpha', {Streams: 1, Features: ['X']}),
    trackRecord('Knock2', 'alps'),
  ]
  await t.upload('seed.ndjson', seed.join('\n') + '\n')
  await t.upload('other.json', trackRecord('Other', 'alpha'))
  await t.pipeline.idle()
  const put = (item: Record<string, unknown>) =>
    t.pipeline.dynamodb.send(new PutItemCommand({TableName: t.pipeline.state.table, Item: item as never}))
  await put({ArtistID: {S: 'eventpulse-selftest'}, ItemID: {S: 'TRACK#canary'}, EntityType: {S: 'Track'}})
  for (const itemId of BIG)
    await put({ArtistID: {S: 'Big'}, ItemID: {S: itemId}, EntityType: {S: 'Track'}, Lyrics: {S: 'la'.repeat(50_000)}})
})

afterAll(() => stopTestPipeline(t))

const list = async (options: Omit<ListItemsOptions, 'typed'> & {typed?: boolean}) => {
  const items = []
  for await (const item of listItems(target, {typed: false, ...options})) items.push(item)
  return items
}
/** Knock2's TRACK#alpha as uploaded (plain JSON). */
const ALPHA = {
  ArtistID: 'Knock2',
  ItemID: 'TRACK#alpha',
  EntityType: 'Track',
  Duration: 200,
  Streams: 1,
  Features: ['X'],
}
const keysOf = (items: {artistId: string; itemId: string}[]) => items.map((item) => `${item.artistId} ${item.itemId}`)

describe('items get', () => {
  const alpha = {artistId: 'Knock2', itemId: 'TRACK#alpha'}

  it('the record as uploaded, plain JSON, without the pipeline metadata; where and when it came', async () => {
    expect(await getItem(target, alpha, {typed: false})).toEqual({
      artistId: 'Knock2',
      itemId: 'TRACK#alpha',
      record: ALPHA,
      sourceKey: 'seed.ndjson',
      ingestedAt: expect.stringMatching(ISO),
    })
  })

  it('--typed: the record as DynamoDB holds it, still without the metadata', async () => {
    expect((await getItem(target, alpha, {typed: true}))?.record).toEqual({
      ArtistID: {S: 'Knock2'},
      ItemID: {S: 'TRACK#alpha'},
      EntityType: {S: 'Track'},
      Duration: {N: '200'},
      Streams: {N: '1'},
      Features: {L: [{S: 'X'}]},
    })
  })

  it('no item under the key: undefined', async () => {
    expect(await getItem(target, {artistId: 'Knock2', itemId: 'TRACK#gamma'}, {typed: false})).toBeUndefined()
    expect(await getItem(target, {artistId: 'Nobody', itemId: 'TRACK#alpha'}, {typed: true})).toBeUndefined()
  })

  it('needs a target with the table', async () => {
    const {dynamodb: _, ...withoutTable} = target
    await expect(getItem(withoutTable, alpha, {typed: false})).rejects.toThrow(
      'items need a target resolved with the table',
    )
    await expect(listItems(withoutTable, {typed: false}).next()).rejects.toThrow(
      'items need a target resolved with the table',
    )
  })
})

describe('a stored item split into record and metadata', () => {
  it('leaves out exactly the eight metadata attributes, whatever else starts with ep_', () => {
    const item = {
      ArtistID: {S: 'A'},
      ItemID: {S: 'TRACK#x'},
      ep_note: {S: 'kept: not the pipeline metadata'},
      ep_source_key: {S: 'k.json'},
      ep_source_etag: {S: 'e'},
      ep_source_sequencer: {S: '01'},
      ep_ingested_at: {S: '2026-12-01T00:00:00.000Z'},
      ep_source_line: {N: '3'},
      ep_version: {N: '2'},
      ep_change: {S: 'replaced'},
      ep_changed_by: {S: 'bob'},
    }
    expect(storedItem(item, {typed: true})).toEqual({
      artistId: 'A',
      itemId: 'TRACK#x',
      record: {ArtistID: {S: 'A'}, ItemID: {S: 'TRACK#x'}, ep_note: {S: 'kept: not the pipeline metadata'}},
      sourceKey: 'k.json',
      ingestedAt: '2026-12-01T00:00:00.000Z',
    })
    expect(storedItem(item, {typed: false}).record).toEqual({
      ArtistID: 'A',
      ItemID: 'TRACK#x',
      ep_note: 'kept: not the pipeline metadata',
    })
  })

  it('an item without keys or metadata: empty keys, nothing known of its source', () => {
    expect(storedItem({Title: {S: 'x'}}, {typed: false})).toEqual({
      artistId: '',
      itemId: '',
      record: {Title: 'x'},
      sourceKey: undefined,
      ingestedAt: undefined,
    })
  })
})

describe('items list and export', () => {
  it("one artist's items in ItemID order (a Query), and only those starting with a prefix", async () => {
    expect(keysOf(await list({artistId: 'Knock2'}))).toEqual([
      'Knock2 TRACK#alpha',
      'Knock2 TRACK#alps',
      'Knock2 TRACK#beta',
    ])
    expect(keysOf(await list({artistId: 'Knock2', itemPrefix: 'TRACK#al'}))).toEqual([
      'Knock2 TRACK#alpha',
      'Knock2 TRACK#alps',
    ])
    expect(keysOf(await list({artistId: 'Knock2', itemPrefix: 'TRACK#b'}))).toEqual(['Knock2 TRACK#beta'])
    expect(await list({artistId: 'Knock2', itemPrefix: 'ALBUM#'})).toEqual([])
    expect(await list({artistId: 'Nobody'})).toEqual([])
  })

  it('up to the limit: none, fewer, exactly as many, more than there are', async () => {
    expect(await list({artistId: 'Knock2', limit: 0})).toEqual([])
    expect(keysOf(await list({artistId: 'Knock2', limit: 2}))).toEqual(['Knock2 TRACK#alpha', 'Knock2 TRACK#alps'])
    expect(await list({artistId: 'Knock2', limit: 3})).toHaveLength(3)
    expect(await list({artistId: 'Knock2', limit: 4})).toHaveLength(3)
    expect(keysOf(await list({limit: 1}))).toHaveLength(1)
  })

  it('page after page: an artist whose items DynamoDB answers in more than one page, and a limit across pages', async () => {
    // The premise: DynamoDB stops a page at 1 MB.
    const pages = paginateQuery(
      {client: t.pipeline.dynamodb},
      {
        TableName: t.pipeline.state.table,
        KeyConditionExpression: 'ArtistID = :a',
        ExpressionAttributeValues: {':a': {S: 'Big'}},
      },
    )
    const sizes: number[] = []
    for await (const page of pages) sizes.push(page.Count ?? 0)
    expect(sizes.length).toBeGreaterThan(1)

    expect((await list({artistId: 'Big'})).map((item) => item.itemId)).toEqual(BIG)
    expect((await list({artistId: 'Big', limit: 11})).map((item) => item.itemId)).toEqual(BIG.slice(0, 11))
  })

  it('a limit that ends with a page reads no further page (each is up to 1 MB, billed)', async () => {
    const sizes: number[] = []
    const counting = {
      ...target,
      dynamodb: Object.create(target.dynamodb!, {
        send: {
          value: async (command: QueryCommand) => {
            const answer = await target.dynamodb!.send(command)
            if (command instanceof QueryCommand) sizes.push((answer as QueryCommandOutput).Count ?? 0)
            return answer
          },
        },
      }),
    }
    const read = async (limit: number) => {
      sizes.length = 0
      const ids = []
      for await (const item of listItems(counting, {artistId: 'Big', limit, typed: false})) ids.push(item.itemId)
      return ids
    }
    // The premise: DynamoDB answers Big's items in more than one page.
    expect(await read(12)).toEqual(BIG)
    const [first] = sizes
    expect(sizes.length).toBeGreaterThan(1)

    expect(await read(first)).toEqual(BIG.slice(0, first))
    expect(sizes).toEqual([first])
    expect(await read(first + 1)).toEqual(BIG.slice(0, first + 1))
    expect(sizes.length).toBe(2)
  })

  it('--all: every artist, page after page, but the selftest canaries, which their own artist still lists', async () => {
    expect(keysOf(await list({})).sort()).toEqual(
      [
        'Knock2 TRACK#alpha',
        'Knock2 TRACK#alps',
        'Knock2 TRACK#beta',
        'Other TRACK#alpha',
        ...BIG.map((id) => `Big ${id}`),
      ].sort(),
    )
    expect(keysOf(await list({artistId: 'eventpulse-selftest'}))).toEqual(['eventpulse-selftest TRACK#canary'])
  })

  it('export lines: exactly the records as uploaded, plain or typed, with no ep_ metadata', async () => {
    const lines = async (typed: boolean) =>
      (await list({artistId: 'Knock2', itemPrefix: 'TRACK#alp', typed})).map((item) => JSON.stringify(item.record))
    const plain = (await lines(false)).map((line) => JSON.parse(line))
    expect(plain).toEqual([ALPHA, {ArtistID: 'Knock2', ItemID: 'TRACK#alps', EntityType: 'Track', Duration: 200}])
    const typed = (await lines(true)).map((line) => JSON.parse(line))
    expect(typed[1]).toEqual({
      ArtistID: {S: 'Knock2'},
      ItemID: {S: 'TRACK#alps'},
      EntityType: {S: 'Track'},
      Duration: {N: '200'},
    })
    expect([...(await lines(false)), ...(await lines(true))].join('\n')).not.toContain('ep_')
  })
})
