import {DeleteItemCommand, QueryCommand} from '@aws-sdk/client-dynamodb'
import {HeadObjectCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {applyAccept, planAccept} from '#quarantine/accept.js'
import {entriesOf} from '#quarantine/entries.js'
import {keyStatus} from '#status/key-status.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline, trackRecord} from '../processor/helpers.js'

// `quarantine accept` in-process, against the local pipeline's real emulators and processor: duplicates are made by
// uploading, the races are interleaved by planning before another change is applied.

let t: TestPipeline
let admin: ReturnType<typeof adminOf>
let target: PipelineTarget

beforeAll(async () => {
  t = await startTestPipeline()
  admin = adminOf(t.pipeline)
  target = admin.target
})

afterAll(async () => {
  admin?.s3.destroy()
  await stopTestPipeline(t)
})

const context = () => ({target, notifier: admin.notifier, by: 'quarantine-admin'})

/** Uploads a record and waits until the pipeline is done with it; `as` the admin, e.g. a replacement. */
async function send(key: string, body: string, s3?: S3Client) {
  if (s3)
    await s3.send(
      new PutObjectCommand({Bucket: 'eventpulse-processing', Key: key, Body: Buffer.from(body), IfNoneMatch: '*'}),
    )
  else await t.upload(key, body)
  await t.pipeline.idle()
}

/** The one quarantine entry of a source key. */
async function entryOf(sourceKey: string) {
  const entries = await entriesOf(target, sourceKey)
  expect(entries).toHaveLength(1)
  return entries[0]
}

const entryExists = (key: string) =>
  t.pipeline.s3.send(new HeadObjectCommand({Bucket: 'eventpulse-quarantine', Key: key})).then(
    () => true,
    () => false,
  )

async function keptVersions(artist: string, itemId: string): Promise<string[]> {
  const {Items = []} = await t.pipeline.dynamodb.send(
    new QueryCommand({
      TableName: 'eventpulse-history',
      KeyConditionExpression: 'ItemKey = :key',
      ExpressionAttributeValues: {':key': {S: JSON.stringify([artist, itemId])}},
    }),
  )
  return Items.map((item) => `${item.Version.N}:${item.Streams?.N}`)
}

describe('quarantine accept', () => {
  test('replaces the stored item with the duplicate, keeps the old version, notifies replaced, removes the entry', async () => {
    await send('accept/first.json', trackRecord('Accept', 'one', {Streams: 10}))
    await send('accept/second.json', trackRecord('Accept', 'one', {Streams: 25, Year: 2024}))
    const entry = await entryOf('accept/second.json')
    expect(entry).toMatchObject({reason: 'duplicate', judgedVersion: 1})

    const plan = await planAccept(target, entry)
    expect(plan.conflict).toBeUndefined()
    expect(plan).toMatchObject({judgedVersion: 1, storedVersion: 1})
    expect(plan.changes).toEqual([
      {attribute: 'Streams', change: 'changed', before: 10, after: 25},
      {attribute: 'Year', change: 'added', after: 2024},
    ])
    await applyAccept(context(), plan)

    const item = await t.item('Accept', 'TRACK#one')
    expect(item).toMatchObject({
      Streams: {N: '25'},
      Year: {N: '2024'},
      ep_version: {N: '2'},
      ep_change: {S: 'accepted'},
      ep_changed_by: {S: 'quarantine-admin'},
      ep_source_key: {S: 'accept/second.json'},
    })
    expect(await keptVersions('Accept', 'TRACK#one')).toEqual(['1:10'])
    expect(await entryExists(entry.key)).toBe(false)
    const announced = (await t.outbox()).filter((n) => n.outcome === 'replaced' && n.quarantineKey === entry.key)
    expect(announced).toMatchObject([
      {outcome: 'replaced', sourceKey: 'accept/second.json', item: {ArtistID: 'Accept', ItemID: 'TRACK#one'}},
    ])
    expect(await keyStatus(target, 'accept/second.json')).toMatchObject({state: 'replaced'})
    // The first upload's record is no longer the item's.
    expect(await keyStatus(target, 'accept/first.json')).toMatchObject({state: 'not-found'})
  })

  test('refuses an entry whose stored item changed since it was judged, and keeps the entry', async () => {
    await send('stale/first.json', trackRecord('Stale', 'one', {Streams: 1}))
    await send('stale/dup.json', trackRecord('Stale', 'one', {Streams: 2}))
    const entry = await entryOf('stale/dup.json')
    // Planned while the item is still the one judged: the plan alone would let it through.
    const plan = await planAccept(target, entry)
    expect(plan.conflict).toBeUndefined()
    await send('replace/stale.json', trackRecord('Stale', 'one', {Streams: 3}), admin.s3)

    await expect(applyAccept({...context(), shownTarget: ['--local']}, plan)).rejects.toMatchObject({
      code: 'Conflict',
      exitCode: 1,
      message: `Not accepted ${entry.key}: the stored item changed while accepting (it is no longer version 1); nothing was replaced.`,
      hint: `The entry is kept. Compare it with what is stored now (eventpulse quarantine show ${entry.key} --local).`,
    })
    expect(await t.item('Stale', 'TRACK#one')).toMatchObject({Streams: {N: '3'}, ep_version: {N: '2'}})
    expect(await entryExists(entry.key)).toBe(true)
    expect((await t.outbox()).filter((n) => n.outcome === 'replaced' && n.quarantineKey === entry.key)).toEqual([])
    // Planned again, it says what changed.
    expect((await planAccept(target, entry)).conflict).toBe(
      'the stored item is version 2; this entry was judged against version 1',
    )
  })

  test('two accepts racing for one item: exactly one wins, the other is a Conflict and keeps its entry', async () => {
    await send('race/first.json', trackRecord('Race', 'one', {Streams: 1}))
    await send('race/a.json', trackRecord('Race', 'one', {Streams: 100}))
    await send('race/b.json', trackRecord('Race', 'one', {Streams: 200}))
    const [a, b] = [await entryOf('race/a.json'), await entryOf('race/b.json')]
    const plans = [await planAccept(target, a), await planAccept(target, b)]
    expect(plans.map((plan) => plan.conflict)).toEqual([undefined, undefined])

    const settled = await Promise.allSettled(plans.map((plan) => applyAccept(context(), plan)))
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1)
    expect(settled.filter((s) => s.status === 'rejected')).toMatchObject([{reason: {code: 'Conflict'}}])
    const winner = settled[0].status === 'fulfilled' ? 100 : 200
    expect(await t.item('Race', 'TRACK#one')).toMatchObject({Streams: {N: String(winner)}, ep_version: {N: '2'}})
    expect(await keptVersions('Race', 'TRACK#one')).toEqual(['1:1'])
    expect([await entryExists(a.key), await entryExists(b.key)].filter(Boolean)).toHaveLength(1)
  })

  test('the same entry accepted twice at once (two admins): one replacement, one Conflict', async () => {
    await send('twice/first.json', trackRecord('Twice', 'one', {Streams: 1}))
    await send('twice/dup.json', trackRecord('Twice', 'one', {Streams: 2}))
    const entry = await entryOf('twice/dup.json')
    const plans = [await planAccept(target, entry), await planAccept(target, entry)]
    const settled = await Promise.allSettled(plans.map((plan) => applyAccept(context(), plan)))
    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await t.item('Twice', 'TRACK#one')).toMatchObject({ep_version: {N: '2'}})
    expect((await t.outbox()).filter((n) => n.outcome === 'replaced' && n.quarantineKey === entry.key)).toHaveLength(1)
  })

  test('refuses an entry that is not a duplicate, and one whose item is gone', async () => {
    await send('invalid/one.json', '{"ArtistID": "Invalid"}')
    const invalid = await entryOf('invalid/one.json')
    expect((await planAccept(target, invalid)).conflict).toBe('it is not a duplicate (quarantined as schema)')

    await send('gone/first.json', trackRecord('Gone', 'one', {Streams: 1}))
    await send('gone/dup.json', trackRecord('Gone', 'one', {Streams: 2}))
    await t.pipeline.dynamodb.send(
      new DeleteItemCommand({TableName: 'eventpulse-catalog', Key: {ArtistID: {S: 'Gone'}, ItemID: {S: 'TRACK#one'}}}),
    )
    const plan = await planAccept(target, await entryOf('gone/dup.json'))
    expect(plan.conflict).toBe('the stored item is gone (deleted since it was judged)')
    await expect(applyAccept(context(), plan)).rejects.toMatchObject({code: 'Conflict'})
    expect(await t.item('Gone', 'TRACK#one')).toBeUndefined()
  })

  test('a batch line (an export line): the item records its line and upload, the notification its ETag', async () => {
    await send('lines/first.json', trackRecord('Lines', 'one', {Streams: 1}))
    const exportLine = '{"Item": {"ArtistID": {"S": "Lines"}, "ItemID": {"S": "TRACK#one"}, "Streams": {"N": "7"}}}'
    await send('lines/batch.ndjson', `${trackRecord('Lines', 'two')}\n${exportLine}\n`)
    const entry = await entryOf('lines/batch.ndjson')
    expect(entry).toMatchObject({reason: 'duplicate', line: 2})
    expect(entry.sourceEtag).toMatch(/^[0-9a-f]{32}$/)

    await applyAccept(context(), await planAccept(target, entry))
    expect(await t.item('Lines', 'TRACK#one')).toMatchObject({
      Streams: {N: '7'},
      ep_source_key: {S: 'lines/batch.ndjson'},
      ep_source_line: {N: '2'},
      ep_source_etag: {S: entry.sourceEtag},
    })
    const announced = (await t.outbox()).filter((n) => n.quarantineKey === entry.key)
    expect(announced).toMatchObject([
      {
        outcome: 'replaced',
        etag: entry.sourceEtag,
        subject: 'EventPulse: replaced Lines / TRACK#one',
        message: `${entry.key} (a quarantined duplicate, accepted) replaced the item ArtistID "Lines", ItemID "TRACK#one"; its earlier version is in the history (\`eventpulse items history\`).`,
      },
    ])
  })

  test('refuses an entry whose record no longer passes, or that does not say which version it was judged against', async () => {
    await send('mended/first.json', trackRecord('Mended', 'one', {Streams: 1}))
    await send('mended/dup.json', trackRecord('Mended', 'one', {Streams: 2}))
    const entry = await entryOf('mended/dup.json')
    expect((await planAccept(target, {...entry, judgedVersion: undefined})).conflict).toBe(
      'the entry does not record which version of the stored item it was judged against',
    )
    await t.pipeline.s3.send(
      new PutObjectCommand({
        Bucket: 'eventpulse-quarantine',
        Key: entry.key,
        Body: Buffer.from('{"ArtistID": "Mended"}'),
      }),
    )
    expect((await planAccept(target, entry)).conflict).toMatch(/^its record no longer passes the check \(.*ItemID.*\)$/)
  })

  test('applies nothing from a plan with a conflict, or one missing the item, the record or the stored item', async () => {
    await send('partial/first.json', trackRecord('Partial', 'one', {Streams: 1}))
    await send('partial/dup.json', trackRecord('Partial', 'one', {Streams: 2}))
    const entry = await entryOf('partial/dup.json')
    const plan = await planAccept(target, entry)
    expect(plan.conflict).toBeUndefined()
    await expect(applyAccept(context(), {...plan, conflict: 'changed my mind'})).rejects.toMatchObject({
      message: `Not accepted ${entry.key}: changed my mind.`,
      hint: `The entry is kept. Compare it with what is stored now (eventpulse quarantine show ${entry.key}).`,
    })
    for (const missing of ['item', 'record', 'stored'])
      await expect(applyAccept(context(), {...plan, [missing]: undefined})).rejects.toMatchObject({
        code: 'Conflict',
        message: `Not accepted ${entry.key}: nothing to accept.`,
      })
    expect(await t.item('Partial', 'TRACK#one')).toMatchObject({Streams: {N: '1'}, ep_version: {N: '1'}})
    expect(await entryExists(entry.key)).toBe(true)
  })
})
