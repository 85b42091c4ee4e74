import {DynamoDBClient, GetItemCommand} from '@aws-sdk/client-dynamodb'
import {ListObjectsCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeAll, expect, test} from 'vitest'

import {SWEEP_GAVE_UP, SWEEP_LIMITS, SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {localClients} from '#local/target.js'
import {encodeEventKey} from '#processor/event.js'
import {createProcessorHandler, type LogLine, SWEEP_TIME_RESERVE_MS} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {sweep, type SweepDeadLetter, type SweepResult} from '#processor/sweep.js'
import {removeDir, startTestPipeline, type TestPipeline} from './helpers.js'

// The processor as the Lambda runs it, invoked with the sweep schedule's request, against the local emulators (the
// local pipeline here only provides them: its events are all lost, and its own sweep is minutes away).
let t: TestPipeline
const clients: {destroy(): void}[] = []

beforeAll(async () => {
  t = await startTestPipeline({dropEventRatio: 1})
})

afterAll(async () => {
  for (const client of clients) client.destroy()
  await t.pipeline.stop()
  await removeDir(t.dataDir)
})

const lambdaContext = (remainingMillis: number) => ({
  getRemainingTimeInMillis: () => remainingMillis,
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:EventPulse-Processor',
})

/** The processor handler with its own log, notifications and dead letters, and a client that may fail for one key. */
function processor(options: {stuckAfterSeconds: number; failGetFor?: string}) {
  const lines: LogLine[] = []
  const notifications: Notification[] = []
  const letters: SweepDeadLetter[] = []
  const {s3, dynamodb} = localClients(t.pipeline.state, {maxAttempts: 1})
  clients.push(s3, dynamodb)
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand' && (args.input as {Key: string}).Key === options.failGetFor)
        throw Object.assign(new Error('Invalid Argument'), {name: 'InvalidArgument', $metadata: {httpStatusCode: 400}})
      return next(args)
    },
    {step: 'initialize', name: 'failOneKey'},
  )
  const {processingBucket, quarantineBucket, table, outcomesTable} = t.pipeline.state
  const handler = createProcessorHandler({
    s3,
    dynamodb,
    notifier: {publish: async (notification) => void notifications.push(notification)},
    processingBucket,
    quarantineBucket,
    table,
    outcomesTable,
    log: (line) => lines.push(line),
    sweep: {
      stuckAfterSeconds: options.stuckAfterSeconds,
      region: 'eu-west-1',
      deadLetter: async (letter) => void letters.push(letter),
    },
  })
  const sweep = async (remainingMillis = 60_000) =>
    (await handler(SWEEP_REQUEST, lambdaContext(remainingMillis))) as SweepResult
  return {sweep, lines, notifications, letters}
}

const record = (artist: string) => JSON.stringify({ArtistID: artist, ItemID: `TRACK#${artist}`, EntityType: 'Track'})

test('a sweep request processes each object older than the stuck age as its event would have', async () => {
  await t.upload('aws/one.json', record('One'))
  await t.upload('aws/two.json', record('Two'))
  await t.upload('aws/broken.json', '{"ArtistID": ')

  // Younger than the stuck age: left to the events that may still come.
  const young = processor({stuckAfterSeconds: 3600})
  expect(await young.sweep()).toEqual({swept: 0, recovered: 0, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true})
  // Too little time left in the invocation: nothing started, the rest left to the next run.
  const late = processor({stuckAfterSeconds: 0})
  expect(await late.sweep(SWEEP_TIME_RESERVE_MS)).toMatchObject({swept: 0, complete: false})
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual(['aws/broken.json', 'aws/one.json', 'aws/two.json'])

  const due = processor({stuckAfterSeconds: 0})
  expect(await due.sweep()).toEqual({swept: 3, recovered: 3, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true})
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  expect(await t.item('One', 'TRACK#One')).toBeDefined()
  expect(await t.item('Two', 'TRACK#Two')).toBeDefined()
  expect(due.notifications.map((n) => `${n.sourceKey} ${n.outcome}`).sort()).toEqual([
    'aws/broken.json quarantined',
    'aws/one.json stored',
    'aws/two.json stored',
  ])
  const recovered = due.lines.filter((line) => line.recoveredBySweep === true)
  expect(recovered.map((line) => line.key).sort()).toEqual(['aws/broken.json', 'aws/one.json', 'aws/two.json'])
})

test("a failing object's event is dead-lettered after maxAttempts sweeps, and later sweeps skip it", async () => {
  const key = 'aws/keeps failing+1.json'
  const etag = await t.upload(key, record('Failing'))
  const failing = processor({stuckAfterSeconds: 0, failGetFor: key})

  const runs: SweepResult[] = []
  for (let run = 1; run <= SWEEP_LIMITS.maxAttempts; run++) runs.push(await failing.sweep())
  expect(runs.map((run) => run.failed)).toEqual([...Array(SWEEP_LIMITS.maxAttempts - 1).fill(1), 0])
  expect(runs.at(-1)).toMatchObject({swept: 1, recovered: 0, gaveUp: [key]})
  expect(failing.letters).toEqual([
    {
      attempts: SWEEP_LIMITS.maxAttempts,
      error: {name: 'InvalidArgument', message: 'Invalid Argument', transient: false},
      event: expect.objectContaining({
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '123456789012',
        region: 'eu-west-1',
        detail: {
          version: '0',
          bucket: {name: t.pipeline.state.processingBucket},
          object: {key: encodeEventKey(key), size: expect.any(Number), etag},
        },
      }),
    },
  ])
  expect(failing.lines).toContainEqual(
    expect.objectContaining({level: 'error', key, outcome: 'dead-lettered', attempts: SWEEP_LIMITS.maxAttempts}),
  )

  // Later sweeps leave it alone, and it stays in the processing bucket for someone to look at.
  expect(await failing.sweep()).toMatchObject({swept: 0, givenUpBefore: 1, gaveUp: []})
  expect(failing.letters).toHaveLength(1)
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([key])
})

test('a run takes at most objectsPerRun objects (given-up ones aside) across pages; the rest wait', async () => {
  const s3 = new S3Client({region: 'eu-west-1'})
  const dynamodb = new DynamoDBClient({region: 'eu-west-1'})
  const old = new Date(Date.now() - 3600_000)
  const page = (from: number, count: number) =>
    Array.from({length: count}, (_, i) => ({Key: `k${from + i}`, ETag: '"e"', Size: 10, LastModified: old}))
  mockClient(s3)
    .on(ListObjectsCommand, {Marker: undefined})
    .resolves({Contents: page(0, 300), IsTruncated: true})
    .on(ListObjectsCommand, {Marker: 'k299'})
    .resolves({Contents: page(300, 300), IsTruncated: false})
  const givenUp = new Set(['k0', 'k1', 'k2'])
  mockClient(dynamodb)
    .on(GetItemCommand)
    .callsFake(({Key}) => ({
      Item: givenUp.has(Key[OUTCOMES_TABLE.partitionKey].S)
        ? {[OUTCOMES_TABLE.attributes.outcome]: {S: SWEEP_GAVE_UP}}
        : undefined,
    }))
  const processed: string[] = []
  const result = await sweep({
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
      return {outcome: 'stored', key: ref.key, item: {ArtistID: 'a', ItemID: 'b'}, alreadyStored: false}
    },
  })
  expect(result).toMatchObject({swept: SWEEP_LIMITS.objectsPerRun, givenUpBefore: 3, complete: false})
  expect(processed).toHaveLength(SWEEP_LIMITS.objectsPerRun)
  expect(processed.some((key) => givenUp.has(key))).toBe(false)
  expect(processed).toContain('k502')
  expect(processed).not.toContain('k503')
})

test('a batch younger than the stuck age whose holder died (its lease expired) is continued at once, and not counted as recovered', async () => {
  const key = 'aws/resumed.ndjson'
  const body = ['Resumed 1', 'Resumed 2', 'Resumed 3'].map(record).join('\n')
  const etag = await t.upload(key, body)
  // The holder died after line 1; its lease expired a moment ago.
  await t.leased(key, etag, {owner: 'a dead instance:its delivery', until: Date.now() - 1, doneLines: 1})

  const sweeper = processor({stuckAfterSeconds: 3600})
  expect(await sweeper.sweep()).toEqual({
    swept: 1,
    recovered: 0,
    failed: 0,
    gaveUp: [],
    givenUpBefore: 0,
    complete: true,
  })
  expect(await t.keys(t.pipeline.state.processingBucket)).not.toContain(key)
  // Line 1 was the dead holder's: not stored again.
  expect(await t.item('Resumed 1', 'TRACK#Resumed 1')).toBeUndefined()
  expect(await t.item('Resumed 3', 'TRACK#Resumed 3')).toBeDefined()
  expect(sweeper.notifications).toEqual([
    expect.objectContaining({sourceKey: key, subject: 'EventPulse: batch 3 stored, 0 unchanged, 0 quarantined'}),
  ])
  expect(sweeper.lines).toContainEqual(expect.objectContaining({key, outcome: 'batch', resumedBySweep: true}))
  expect(sweeper.lines.filter((line) => 'recoveredBySweep' in line)).toEqual([])

  // A young batch whose holder lives (its lease unexpired) is left to it.
  const heldKey = 'aws/held.ndjson'
  const heldEtag = await t.upload(heldKey, body)
  await t.leased(heldKey, heldEtag, {owner: 'a live instance:its delivery', until: Date.now() + 60_000})
  expect(await sweeper.sweep()).toMatchObject({swept: 0, recovered: 0})
  expect(await t.keys(t.pipeline.state.processingBucket)).toContain(heldKey)
})
