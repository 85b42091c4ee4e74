import {PutItemCommand} from '@aws-sdk/client-dynamodb'
import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SWEEP_GAVE_UP} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {isSettled, keyHistory, keyStatus, recordsIn, waitForOutcomes} from '#status/key-status.js'
import {localClients, localTarget} from '#local/target.js'
import type {PipelineTarget} from '#aws/clients.js'
import {s3Before, startTestPipeline, stopTestPipeline, type TestPipeline} from '../processor/helpers.js'

// `status` in-process, against a local pipeline: one key uploaded four times, each upload ending differently.

const KEY = 'history/track.json'
const item = {ArtistID: 'Caribou', ItemID: 'TRACK#Sun'}
const record = (duration: number, space = 0) =>
  JSON.stringify({...item, EntityType: 'Track', Duration: duration}, null, space)

let t: TestPipeline
let target: PipelineTarget
const etags: Record<'stored' | 'duplicate' | 'unchanged', string> = {stored: '', duplicate: '', unchanged: ''}

const sendAndSettle = async (body: string) => {
  const etag = await t.upload(KEY, body)
  await t.pipeline.idle()
  // Outcome times have millisecond resolution: keep the uploads apart.
  await new Promise((resolve) => setTimeout(resolve, 5))
  return etag
}

beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
  etags.stored = await sendAndSettle(record(250))
  etags.duplicate = await sendAndSettle(record(251))
  etags.unchanged = await sendAndSettle(record(250, 2))
})
afterAll(() => stopTestPipeline(t))

describe('status of a key', () => {
  it('is its latest upload', async () => {
    expect(await keyStatus(target, KEY)).toEqual({key: KEY, state: 'unchanged', at: expect.any(String), item})
  })

  it('of one upload, named by its ETag, is that upload', async () => {
    expect(await keyStatus(target, KEY, {etag: etags.stored})).toMatchObject({state: 'stored', item})
    expect(await keyStatus(target, KEY, {etag: etags.duplicate})).toMatchObject({
      state: 'quarantined',
      reason: 'duplicate',
      entry: expect.stringMatching(/^history\/track\.json\/q-/),
    })
    expect(await keyStatus(target, KEY, {etag: 'no-such-etag'})).toEqual({key: KEY, state: 'not-found'})
  })

  it('history lists every upload, newest first, with its ETag', async () => {
    const {history, state} = await keyHistory(target, KEY)
    expect(state).toBe('unchanged')
    expect(history!.map(({state, etag}) => [state, etag])).toEqual([
      ['unchanged', etags.unchanged],
      ['quarantined', etags.duplicate],
      ['stored', etags.stored],
    ])
    const times = history!.map((outcome) => Date.parse(outcome.at!))
    expect(times).toEqual([...times].sort((a, b) => b - a))
  })

  // What the quarantine-admin (who may always replace) puts under replace/.
  const putAsAdmin = async (key: string, body: string) => {
    const admin = localClients({
      endpoints: t.pipeline.state.endpoints,
      credentials: t.pipeline.state.roleCredentials.quarantineAdmin,
    }).s3
    try {
      const {ETag} = await admin.send(
        new PutObjectCommand({Bucket: t.pipeline.state.processingBucket, Key: key, Body: body, IfNoneMatch: '*'}),
      )
      return ETag!.replaceAll('"', '')
    } finally {
      admin.destroy()
    }
  }

  it('of a key under replace/ sent twice: the earlier upload, replaced in turn, is still found replaced', async () => {
    const key = 'replace/refresh.json'
    const body = (streams: number) =>
      JSON.stringify({ArtistID: 'Caribou', ItemID: 'TRACK#Refresh', EntityType: 'Track', Streams: streams})
    await t.upload('refresh/first.json', body(1))
    await t.pipeline.idle()
    const refresh = async (streams: number) => {
      const etag = await putAsAdmin(key, body(streams))
      await t.pipeline.idle()
      await new Promise((resolve) => setTimeout(resolve, 5))
      return etag
    }
    const first = await refresh(2)
    await refresh(3)

    const {history} = await keyHistory(target, key)
    expect(history!.map(({state, etag}) => [state, etag === first])).toEqual([
      ['replaced', false],
      ['replaced', true],
    ])
    expect(await keyStatus(target, key, {etag: first})).toMatchObject({state: 'replaced'})
  })

  it('of two keys under replace/ racing for one item: each is replaced, with its own version', async () => {
    const body = (streams: number) =>
      JSON.stringify({ArtistID: 'Caribou', ItemID: 'TRACK#Race', EntityType: 'Track', Streams: streams})
    await t.upload('race/first.json', body(1))
    await t.pipeline.idle()
    const keys = ['replace/race-a.json', 'replace/race-b.json']
    const etags = await Promise.all(keys.map((key, index) => putAsAdmin(key, body(10 + index))))
    await t.pipeline.idle()

    const statuses = await Promise.all(keys.map((key, index) => keyStatus(target, key, {etag: etags[index]})))
    expect(statuses.map(({state, item}) => ({state, item}))).toEqual([
      {state: 'replaced', item: {ArtistID: 'Caribou', ItemID: 'TRACK#Race'}},
      {state: 'replaced', item: {ArtistID: 'Caribou', ItemID: 'TRACK#Race'}},
    ])
    // The stored item was version 1: the two replacements made versions 2 and 3, one each.
    expect(statuses.map(({version}) => version).sort()).toEqual([2, 3])
    // What `upload --wait` does for each of them.
    const waited = await waitForOutcomes(
      target,
      keys.map((key, index) => ({key, etag: etags[index]})),
      {timeoutMs: 2000},
    )
    expect(waited.timedOut).toBe(false)
  })

  it('of a key never uploaded is not found, with an empty history', async () => {
    expect(await keyHistory(target, 'history/never.json')).toEqual({
      key: 'history/never.json',
      state: 'not-found',
      history: [],
    })
  })

  it('of an object still waiting is in flight, first in its history; waiting for it times out as it stood', async () => {
    // A bucket the pipeline does not watch, standing in for a processing bucket whose processor is behind.
    const waitingTarget = {...target, resources: {...target.resources, processingBucket: 'not-watched'}}
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'not-watched'}))
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: 'not-watched', Key: KEY, Body: record(252)}))
    expect(await keyStatus(waitingTarget, KEY)).toMatchObject({state: 'in-flight', at: expect.any(String)})
    expect((await keyHistory(waitingTarget, KEY)).history!.map((h) => h.state)).toEqual([
      'in-flight',
      'unchanged',
      'quarantined',
      'stored',
    ])
    // Asked about an earlier upload, the waiting one is not it.
    expect(await keyStatus(waitingTarget, KEY, {etag: etags.stored})).toMatchObject({state: 'stored'})
    const waited = await waitForOutcomes(waitingTarget, [{key: KEY}], {timeoutMs: 0})
    expect(waited).toEqual({timedOut: true, statuses: [expect.objectContaining({key: KEY, state: 'in-flight'})]})
  })

  it('waiting for settled uploads returns at once, telling of each as it settles', async () => {
    const settled: number[] = []
    const waited = await waitForOutcomes(
      target,
      [
        {key: KEY, etag: etags.stored},
        {key: KEY, etag: etags.duplicate},
      ],
      {timeoutMs: 60_000, onSettled: (_, index) => settled.push(index)},
    )
    expect(waited.timedOut).toBe(false)
    expect(waited.statuses.map((s) => s.state)).toEqual(['stored', 'quarantined'])
    expect(settled.sort()).toEqual([0, 1])
  })

  it('of an object still waiting, named by its own ETag, is in flight', async () => {
    const waitingTarget = {...target, resources: {...target.resources, processingBucket: 'waiting-by-etag'}}
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'waiting-by-etag'}))
    const {ETag} = await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: 'waiting-by-etag', Key: 'waits.json', Body: record(253)}),
    )
    expect(await keyStatus(waitingTarget, 'waits.json', {etag: ETag!.replaceAll('"', '')})).toEqual({
      key: 'waits.json',
      state: 'in-flight',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
  })

  it('of a batch object is its summary, its records counted by outcome; its items and entries are not its uploads', async () => {
    const lines = [JSON.stringify({ArtistID: 'Caribou', ItemID: 'TRACK#Odessa'}), '{"ArtistID": 3}']
    const etag = await t.upload('history/two.ndjson', `${lines.join('\n')}\n`)
    await t.pipeline.idle()
    const counts = {records: 2, stored: 1, unchanged: 0, quarantined: 1, reasons: {schema: 1}}
    const {history, ...current} = await keyHistory(target, 'history/two.ndjson')
    expect(current).toEqual({key: 'history/two.ndjson', state: 'batch', at: expect.any(String), counts})
    expect(history).toEqual([{state: 'batch', at: current.at, etag, counts}])
    expect(await keyStatus(target, 'history/two.ndjson', {etag})).toEqual(current)
  })

  it("leaves out what the outcomes table holds that is no outcome (the sweep's records)", async () => {
    const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
    for (const [etag, extra] of [
      ['a'.repeat(32), {[attributes.sweepAttempts]: {N: '1'}}],
      ['b'.repeat(32), {[attributes.outcome]: {S: SWEEP_GAVE_UP}}],
    ] as const)
      await t.pipeline.dynamodb.send(
        new PutItemCommand({
          TableName: t.pipeline.state.outcomesTable,
          Item: {[partitionKey]: {S: 'history/swept.json'}, [sortKey]: {S: etag}, ...extra},
        }),
      )
    expect(await keyHistory(target, 'history/swept.json')).toEqual({
      key: 'history/swept.json',
      state: 'not-found',
      history: [],
    })
  })

  it('from a stack deployed before the outcomes table, is what the items and the quarantine tell', async () => {
    const {outcomesTable: _none, ...resources} = target.resources
    const older = {...target, resources}
    expect((await keyHistory(older, KEY)).history!.map(({state, etag}) => [state, etag])).toEqual([
      ['quarantined', etags.duplicate],
      ['stored', etags.stored],
    ])
  })

  it('needs the table client', async () => {
    const {dynamodb: _dynamodb, ...withoutTable} = target
    await expect(keyStatus(withoutTable, KEY)).rejects.toThrow('keyStatus needs a target resolved with the table')
  })

  it('is settled once stored, unchanged, quarantined or a batch done; not while in flight or not found', () => {
    const settled = (['stored', 'unchanged', 'quarantined', 'batch', 'in-flight', 'not-found'] as const).map((state) =>
      isSettled({key: KEY, state}),
    )
    expect(settled).toEqual([true, true, true, true, false, false])
  })

  it('counts records by outcome: one per single upload, a batch by its records (a released line is a batch of one)', () => {
    const batch = (stored: number, unchanged: number, quarantined: number) => ({
      key: 'b.ndjson',
      state: 'batch' as const,
      counts: {records: stored + unchanged + quarantined, stored, unchanged, quarantined, reasons: {}},
    })
    const statuses = [
      {key: 'a.json', state: 'stored' as const},
      {key: 'c.json', state: 'quarantined' as const},
      batch(0, 0, 1),
      batch(5, 2, 3),
      {key: 'd.json', state: 'in-flight' as const},
    ]
    expect(recordsIn(statuses, 'stored')).toBe(6)
    expect(recordsIn(statuses, 'unchanged')).toBe(2)
    expect(recordsIn(statuses, 'quarantined')).toBe(5)
  })

  it('waiting stops at Ctrl-C, returning uploads as they stood, not timed out', async () => {
    const waitingTarget = {...target, resources: {...target.resources, processingBucket: 'waiting-interrupted'}}
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'waiting-interrupted'}))
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: 'waiting-interrupted', Key: KEY, Body: record(254)}))
    const controller = new AbortController()
    const settled: number[] = []
    const waiting = waitForOutcomes(waitingTarget, [{key: KEY}, {key: KEY, etag: etags.stored}], {
      timeoutMs: 600_000,
      signal: controller.signal,
      onSettled: (_, index) => settled.push(index),
    })
    setTimeout(() => controller.abort(), 50)
    expect(await waiting).toEqual({
      timedOut: false,
      statuses: [expect.objectContaining({state: 'in-flight'}), expect.objectContaining({state: 'stored'})],
    })
    // Told of the one settled only.
    expect(settled).toEqual([1])
  })

  it('waiting with no time left looks once and returns', async () => {
    const waitingTarget = {...target, resources: {...target.resources, processingBucket: 'waiting-no-time'}}
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'waiting-no-time'}))
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: 'waiting-no-time', Key: KEY, Body: record(255)}))
    let looks = 0
    const s3 = s3Before(t.pipeline.s3, 'ListObjectsCommand', () => void looks++)
    const waited = await waitForOutcomes({...waitingTarget, s3}, [{key: KEY}], {timeoutMs: 0})
    expect(waited).toEqual({timedOut: true, statuses: [expect.objectContaining({state: 'in-flight'})]})
    expect(looks).toBe(1)
  })

  it('waiting for nothing returns at once', async () => {
    expect(await waitForOutcomes(target, [], {timeoutMs: 60_000})).toEqual({statuses: [], timedOut: false})
  })
})
