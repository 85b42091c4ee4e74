import {QueryCommand} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {PipelineRole} from '#aws/credentials.js'
import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {localClients} from '#local/target.js'
import {replaceVersion} from '#processor/versions.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline, trackRecord} from './helpers.js'

let t: TestPipeline
let admin: S3Client

/** An S3 client signing as `role` does in `--local` commands. */
const signingAs = ({state}: TestPipeline['pipeline'], role: PipelineRole) =>
  localClients({endpoints: state.endpoints, credentials: state.roleCredentials[role]}).s3

beforeAll(async () => {
  t = await startTestPipeline({batch: {linesPerCheckpoint: 2}})
  admin = signingAs(t.pipeline, 'quarantineAdmin')
})

afterAll(async () => {
  admin.destroy()
  await stopTestPipeline(t)
})

// A conditional write, as the processing bucket takes no other.
const put = (s3: S3Client, key: string, body: string) =>
  s3.send(new PutObjectCommand({Bucket: 'eventpulse-processing', Key: key, Body: Buffer.from(body), IfNoneMatch: '*'}))

/** The item's earlier versions, oldest first, as [version, Streams]. */
async function history(artist: string, itemId: string): Promise<[string, string | undefined][]> {
  const {Items = []} = await t.pipeline.dynamodb.send(
    new QueryCommand({
      TableName: 'eventpulse-history',
      KeyConditionExpression: 'ItemKey = :key',
      ExpressionAttributeValues: {':key': {S: JSON.stringify([artist, itemId])}},
    }),
  )
  return Items.map((item) => [item.Version.N!, item.Streams?.N])
}

/** Uploads as the quarantine admin (the only role allowed replacements by default), and waits for the outcome. */
async function send(key: string, body: string) {
  await put(admin, key, body)
  await t.pipeline.idle()
  return t.notifications.filter((n) => n.sourceKey === key).at(-1)
}

describe('uploads under replace/', () => {
  test('store a new record, find an identical one unchanged and replace a different one, keeping the old version', async () => {
    await send('first/a.json', trackRecord('Refresh', 'a', {Streams: 10}))

    expect((await send('replace/a1.json', trackRecord('Refresh', 'a', {Streams: 10})))?.outcome).toBe('unchanged')
    const replaced = await send('replace/a2.json', trackRecord('Refresh', 'a', {Streams: 25}))
    expect(replaced?.outcome).toBe('replaced')
    expect((await send('replace/new.json', trackRecord('Refresh', 'new')))?.outcome).toBe('stored')

    const item = await t.item('Refresh', 'TRACK#a')
    expect(item?.Streams.N).toBe('25')
    expect(item?.[ITEM_METADATA.version].N).toBe('2')
    expect(item?.[ITEM_METADATA.sourceKey].S).toBe('replace/a2.json')
    expect(await history('Refresh', 'TRACK#a')).toEqual([['1', '10']])
    // Outside replace/ a different record is still a duplicate, and the item stays as it is; the entry says which
    // version of the item it was judged against (what `quarantine accept` checks before replacing).
    const duplicate = await send('other/a.json', trackRecord('Refresh', 'a', {Streams: 99}))
    expect(duplicate?.reason).toBe('duplicate')
    expect((await t.item('Refresh', 'TRACK#a'))?.Streams.N).toBe('25')
    expect((await t.quarantined(duplicate!.quarantineKey!)).metadata['ep-judged-version']).toBe('2')
  })

  test('three changes leave three earlier versions in the history, and the fourth version stored', async () => {
    await send('first/h.json', trackRecord('History', 'h', {Streams: 1}))
    for (const streams of [2, 3, 4])
      await send(`replace/h${streams}.json`, trackRecord('History', 'h', {Streams: streams}))

    expect((await t.item('History', 'TRACK#h'))?.[ITEM_METADATA.version].N).toBe('4')
    expect(await history('History', 'TRACK#h')).toEqual([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ])
  })

  test('two replacements racing: each becomes a version of its own, and no version is lost', async () => {
    await send('first/r.json', trackRecord('Race', 'r', {Streams: 1}))
    await Promise.all([
      put(admin, 'replace/r-left.json', trackRecord('Race', 'r', {Streams: 2})),
      put(admin, 'replace/r-right.json', trackRecord('Race', 'r', {Streams: 3})),
    ])
    await t.pipeline.idle()

    const outcomes = t.notifications.filter((n) => n.sourceKey.startsWith('replace/r-')).map((n) => n.outcome)
    expect(outcomes).toEqual(['replaced', 'replaced'])
    const item = await t.item('Race', 'TRACK#r')
    expect(item?.[ITEM_METADATA.version].N).toBe('3')
    const kept = await history('Race', 'TRACK#r')
    expect(kept.map(([version]) => version)).toEqual(['1', '2'])
    // Version 2 is whichever came first; the item holds the other.
    expect(new Set([kept[1][1], item?.Streams.N])).toEqual(new Set(['2', '3']))
  })

  test('two changes from one version at once: exactly one wins', async () => {
    await send('first/once.json', trackRecord('Once', 'o', {Streams: 1}))
    const current = (await t.item('Once', 'TRACK#o'))!
    const store = {
      dynamodb: t.pipeline.dynamodb,
      table: t.pipeline.state.table,
      historyTable: 'eventpulse-history',
      historyRetentionSeconds: 86_400,
      now: () => new Date(),
    }
    const results = await Promise.all(
      [2, 3].map((streams) => replaceVersion(store, current, {...current, Streams: {N: String(streams)}})),
    )
    expect(results.sort()).toEqual(['conflict', 'replaced'])
    expect((await t.item('Once', 'TRACK#o'))?.[ITEM_METADATA.version].N).toBe('2')
    expect(await history('Once', 'TRACK#o')).toEqual([['1', '1']])
  })

  test('a batch replaces, finds unchanged and stores line by line, and counts each', async () => {
    await send('first/b1.json', trackRecord('Batch', '1', {Streams: 1}))
    await send('first/b2.json', trackRecord('Batch', '2', {Streams: 2}))
    await send('first/judged.ndjson', trackRecord('Batch', '1', {Streams: 7}) + '\n') // a duplicate line
    const judged = (await t.keys('eventpulse-quarantine')).find((key) => key.startsWith('first/judged.ndjson/'))
    expect((await t.quarantined(judged!)).metadata['ep-judged-version']).toBe('1')
    const lines = [
      trackRecord('Batch', '1', {Streams: 100}), // replaced
      trackRecord('Batch', '2', {Streams: 2}), // unchanged
      trackRecord('Batch', '3', {Streams: 3}), // stored
      '{"ArtistID": ', // invalid-json: quarantined
    ]
    const replacedBefore = t.pipeline.state.outcomes!.replaced
    const done = await send('replace/catalog.ndjson', lines.join('\n') + '\n')

    expect(done?.batch?.counts).toEqual({
      records: 4,
      stored: 1,
      replaced: 1,
      unchanged: 1,
      quarantined: 1,
      reasons: {'invalid-json': 1},
    })
    expect(done?.batch?.outcomes).toEqual(['stored', 'replaced', 'unchanged', 'quarantined'])
    expect((await t.item('Batch', 'TRACK#1'))?.Streams.N).toBe('100')
    expect(await history('Batch', 'TRACK#1')).toEqual([['1', '1']])
    expect(t.pipeline.state.outcomes!.replaced - replacedBefore).toBe(1)
  })
})

describe('who may replace, locally as on AWS', () => {
  test('the uploader may not write under replace/, nor anyone but the quarantine admin', async () => {
    const uploader = signingAs(t.pipeline, 'uploader')
    try {
      await expect(put(uploader, 'replace/u.json', trackRecord('Who', 'u'))).rejects.toMatchObject({
        name: 'AccessDenied',
      })
      await expect(put(t.pipeline.s3, 'replace/u.json', trackRecord('Who', 'u'))).rejects.toMatchObject({
        name: 'AccessDenied',
      })
      // Elsewhere in the bucket the uploader writes as ever.
      await expect(put(uploader, 'plain/u.json', trackRecord('Who', 'u'))).resolves.toBeDefined()
    } finally {
      uploader.destroy()
    }
  })

  test('with uploaderMayReplace the uploader may', async () => {
    const allowing = await startTestPipeline({uploaderMayReplace: true})
    const uploader = signingAs(allowing.pipeline, 'uploader')
    try {
      await expect(put(uploader, 'replace/u.json', trackRecord('Who', 'u'))).resolves.toBeDefined()
    } finally {
      uploader.destroy()
      await stopTestPipeline(allowing)
    }
  })
})
