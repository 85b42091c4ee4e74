import {DynamoDBClient, GetItemCommand} from '@aws-sdk/client-dynamodb'
import {CreateBucketCommand, ListObjectsCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {SWEEP_GAVE_UP, SWEEP_LIMITS} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {encodeEventKey, type ObjectRef} from '#processor/event.js'
import type {ProcessResult} from '#processor/results.js'
import {sweep, type SweepDeadLetter, type SweepDeps} from '#processor/sweep.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// The sweep itself, over the local emulators (a bucket the local pipeline does not watch), with the processor it
// hands objects to replaced by the test's own.
let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline()
})

afterAll(() => stopTestPipeline(t))

/** A bucket of its own with these objects; returns their ETags and listed times. */
async function bucketWith(bucket: string, objects: Record<string, string>) {
  const {s3} = t.pipeline
  await s3.send(new CreateBucketCommand({Bucket: bucket}))
  for (const [key, body] of Object.entries(objects))
    await s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: Buffer.from(body)}))
  const {Contents = []} = await s3.send(new ListObjectsCommand({Bucket: bucket}))
  return Object.fromEntries(
    Contents.map(({Key, ETag, LastModified}) => [Key!, {etag: ETag!.replaceAll('"', ''), lastModified: LastModified!}]),
  )
}

/** The sweep's dependencies over the emulators, its log lines and dead letters collected. */
function sweepDeps(bucket: string, more: Partial<SweepDeps> & Pick<SweepDeps, 'process'>) {
  const logs: Record<string, unknown>[] = []
  const letters: SweepDeadLetter[] = []
  const deps: SweepDeps = {
    s3: t.pipeline.s3,
    dynamodb: t.pipeline.dynamodb,
    processingBucket: bucket,
    outcomesTable: t.pipeline.state.outcomesTable,
    stuckAfterSeconds: 60,
    account: '123456789012',
    region: 'eu-west-1',
    log: (line) => logs.push(line),
    deadLetter: async (letter) => void letters.push(letter),
    ...more,
  }
  return {deps, logs, letters}
}

const stored = (ref: ObjectRef): ProcessResult => ({
  outcome: 'stored',
  key: ref.key,
  item: {ArtistID: 'a', ItemID: 'b'},
  alreadyStored: false,
})

describe('a sweep over the emulators', () => {
  test('hands each object at least the stuck age old to the processor as its event would name it, and logs the run', async () => {
    const bucket = 'sweep-ripe'
    const listed = await bucketWith(bucket, {'ripe/gone.json': '{"a": 1}', 'ripe/stuck.json': '{"stuck": true}'})
    const newest = Math.max(...Object.values(listed).map((object) => object.lastModified.getTime()))
    const refs: ObjectRef[] = []
    const {deps, logs} = sweepDeps(bucket, {
      // The newest object is exactly the stuck age old.
      now: () => new Date(newest + 60_000),
      async process(ref) {
        refs.push(ref)
        // Handled meanwhile through its event: nothing recovered.
        return ref.key === 'ripe/gone.json' ? {outcome: 'skipped', key: ref.key, why: 'gone'} : stored(ref)
      },
    })

    const result = {swept: 2, recovered: 1, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true}
    expect(await sweep(deps)).toEqual(result)
    expect(refs.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      {bucket, key: 'ripe/gone.json', size: 8, etag: listed['ripe/gone.json'].etag},
      {bucket, key: 'ripe/stuck.json', size: 15, etag: listed['ripe/stuck.json'].etag},
    ])
    expect(logs).toEqual([{level: 'info', sweep: true, ...result, gaveUp: 0}])
  })

  test('leaves the keys the event path is busy with (queued or running) to it, and sweeps the others', async () => {
    const bucket = 'sweep-busy'
    const listed = await bucketWith(bucket, {'busy.json': '{"a": 1}', 'idle.json': '{"b": 2}'})
    const refs: ObjectRef[] = []
    const {deps} = sweepDeps(bucket, {
      stuckAfterSeconds: 0,
      isBusy: (key) => key === 'busy.json',
      async process(ref) {
        refs.push(ref)
        return stored(ref)
      },
    })

    expect(await sweep(deps)).toEqual({swept: 1, recovered: 1, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true})
    expect(refs).toEqual([{bucket, key: 'idle.json', size: 8, etag: listed['idle.json'].etag}])
  })

  test('whose own bookkeeping fails leaves the object for a later run, counted as failed and logged', async () => {
    const bucket = 'sweep-bookkeeping'
    const listed = await bucketWith(bucket, {'kept.json': '{}'})
    const {dynamodb} = t.pipeline
    const unreachable: DynamoDBClient = Object.create(dynamodb, {
      send: {
        value: async () => {
          throw Object.assign(new Error('injected'), {name: 'InternalServerError', $metadata: {httpStatusCode: 500}})
        },
      },
    })
    const refs: ObjectRef[] = []
    const {deps, logs} = sweepDeps(bucket, {
      dynamodb: unreachable,
      stuckAfterSeconds: 0,
      async process(ref) {
        refs.push(ref)
        return stored(ref)
      },
    })

    expect(await sweep(deps)).toEqual({swept: 0, recovered: 0, failed: 1, gaveUp: [], givenUpBefore: 0, complete: true})
    expect(refs).toEqual([])
    expect(logs[0]).toEqual({
      level: 'error',
      key: 'kept.json',
      etag: listed['kept.json'].etag,
      sweep: true,
      error: 'InternalServerError: injected',
    })
    expect(await t.keys(bucket)).toEqual(['kept.json'])
  })

  test('gives up on objects whose processing rejects with something not an Error, naming it plainly', async () => {
    const bucket = 'sweep-giving-up'
    const listed = await bucketWith(bucket, {'odd/string.json': '{}', 'odd/undefined.json': '{}'})
    const at = new Date(Date.now() + 3600_000)
    const {deps, logs, letters} = sweepDeps(bucket, {
      now: () => at,
      process: (ref) => Promise.reject(ref.key === 'odd/string.json' ? 'boom' : undefined),
    })

    for (let run = 1; run < SWEEP_LIMITS.maxAttempts; run++) expect(await sweep(deps)).toMatchObject({failed: 2})
    const last = await sweep(deps)
    expect(last).toMatchObject({failed: 0})
    expect(last.gaveUp.sort()).toEqual(['odd/string.json', 'odd/undefined.json'])
    const transient = false
    const byKey = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]))
    expect(letters.map(({event, error}) => [event.detail.object.key, error]).sort(byKey)).toEqual([
      [encodeEventKey('odd/string.json'), {name: 'Error', message: 'boom', transient}],
      [encodeEventKey('odd/undefined.json'), {name: 'Error', message: 'undefined', transient}],
    ])
    const gaveUp = logs.filter((line) => line.outcome === SWEEP_GAVE_UP)
    expect(gaveUp.map((line) => [line.key, line.error]).sort(byKey)).toEqual([
      ['odd/string.json', 'Error: boom'],
      ['odd/undefined.json', 'Error: undefined'],
    ])
    // Left alone by later runs until the record expires, as every outcome record does.
    const {attributes} = OUTCOMES_TABLE
    const expiresAt = String(Math.floor(at.getTime() / 1000) + OUTCOMES_TABLE.retentionSeconds)
    for (const key of ['odd/string.json', 'odd/undefined.json'])
      expect(await t.outcome(key, listed[key].etag)).toMatchObject({
        [attributes.outcome]: {S: SWEEP_GAVE_UP},
        [attributes.at]: {S: at.toISOString()},
        [attributes.expiresAt]: {N: expiresAt},
        [attributes.sweepAttempts]: {N: String(SWEEP_LIMITS.maxAttempts)},
      })
  })
})

describe('a sweep over a listing', () => {
  const old = new Date(Date.now() - 3600_000)
  /** A processing bucket listed in two pages, the first ending in entries missing a key, an ETag or a date. */
  function listing() {
    const s3 = new S3Client({region: 'eu-west-1'})
    const dynamodb = new DynamoDBClient({region: 'eu-west-1'})
    const s3Mock = mockClient(s3)
    s3Mock
      .on(ListObjectsCommand, {Marker: undefined})
      .resolves({
        Contents: [
          {Key: 'first.json', ETag: '"e1"', Size: 2, LastModified: old},
          {ETag: '"e2"', Size: 2, LastModified: old},
          {Key: 'no-etag.json', Size: 2, LastModified: old},
          {Key: 'no-date.json', ETag: '"e4"', Size: 2},
        ],
        IsTruncated: true,
      })
      .on(ListObjectsCommand, {Marker: 'no-date.json'})
      .resolves({Contents: [{Key: 'second.json', ETag: '"e5"', Size: 2, LastModified: old}], IsTruncated: false})
    mockClient(dynamodb).on(GetItemCommand).resolves({})
    const processed: string[] = []
    const deps: SweepDeps = {
      s3,
      dynamodb,
      processingBucket: 'processing',
      outcomesTable: 'outcomes',
      stuckAfterSeconds: 900,
      account: '123456789012',
      region: 'eu-west-1',
      log: () => {},
      deadLetter: async () => {},
      async process(ref) {
        processed.push(ref.key)
        return stored(ref)
      },
    }
    return {deps, processed, listCalls: () => s3Mock.commandCalls(ListObjectsCommand).length}
  }

  test('leaves alone entries without a key, an ETag or a date, and goes on to the next page', async () => {
    const {deps, processed} = listing()
    expect(await sweep(deps)).toMatchObject({swept: 2, recovered: 2, complete: true})
    expect(processed).toEqual(['first.json', 'second.json'])
  })

  test('that must stop (its time is up) lists no further page', async () => {
    const {deps, processed, listCalls} = listing()
    expect(await sweep({...deps, keepGoing: () => false})).toMatchObject({swept: 0, complete: false})
    expect(processed).toEqual([])
    expect(listCalls()).toBe(1)
  })
})
