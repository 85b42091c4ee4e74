import {performance} from 'node:perf_hooks'

import {CreateBucketCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {SWEEP_LIMITS, SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {type ObjectRef, objectRefs} from '#processor/event.js'
import {
  createProcessorHandler,
  createUploadProcessor,
  type LogLine,
  SWEEP_TIME_RESERVE_MS,
  type UploadProcessor,
} from '#processor/handler.js'
import {emptyOutcomeCounts, tallyOutcomes} from '#processor/metrics.js'
import type {SweepDeadLetter, SweepResult} from '#processor/sweep.js'
import {
  directHandlerDeps,
  putWithEvent,
  s3Before,
  startTestPipeline,
  stopTestPipeline,
  type TestPipeline,
} from './helpers.js'

// The one line the handler logs per upload (CloudWatch Logs Insights filters on its fields) and what it counts, for an
// event and for the sweep; and how the Lambda's time left reaches a batch. Handlers of our own, on buckets the local
// pipeline does not watch, with batches checkpointed every 2 lines.

let t: TestPipeline
let failGet: (() => never) | undefined
const lines: LogLine[] = []
let tally = tallyOutcomes()
let processUpload: UploadProcessor

const bucket = 'handler-lines'
const record = (title: string) =>
  JSON.stringify({ArtistID: 'Lined', ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: 200})
const batchOf = (count: number, title: string) =>
  Array.from({length: count}, (_, i) => record(`${title}-${i}`)).join('\n')

/** The processor's dependencies on `processingBucket`, its log lines kept, S3 reads failing while failGet is set. */
function deps(processingBucket: string) {
  return {
    ...directHandlerDeps(t.pipeline, processingBucket),
    s3: s3Before(t.pipeline.s3, 'GetObjectCommand', () => failGet?.()),
    log: (line: LogLine) => lines.push(line),
    metrics: {count: (...args: Parameters<typeof tally.count>) => tally.count(...args)},
    batch: {linesPerCheckpoint: 2},
  }
}

beforeAll(async () => {
  t = await startTestPipeline()
  for (const name of [bucket, 'handler-sweep-timed', 'handler-sweep-untimed', 'handler-sweep-no-account'])
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: name}))
  processUpload = createUploadProcessor(deps(bucket))
})

afterAll(() => stopTestPipeline(t))

const put = async (key: string, body: string, into = bucket) =>
  objectRefs(await putWithEvent(t.pipeline.s3, into, key, body))[0]

/** The line `run` logged, how long it took as measured around it, and what it counted. */
async function logged(run: () => Promise<unknown>) {
  lines.length = 0
  tally = tallyOutcomes()
  const started = performance.now()
  await run()
  const elapsed = performance.now() - started
  expect(lines).toHaveLength(1)
  const [line] = lines
  expect(line.durationMs).toBeGreaterThanOrEqual(0)
  expect(line.durationMs).toBeLessThanOrEqual(Math.ceil(elapsed))
  return {line, counts: tally.counts}
}

describe('one line per upload', () => {
  test('an upload handled: where, which upload, what became of it, and how long it took', async () => {
    const ref = await put('stored.json', record('Stored'))
    const {line, counts} = await logged(() => processUpload(ref))
    expect(line).toStrictEqual({
      level: 'info',
      bucket,
      key: 'stored.json',
      etag: ref.etag,
      sequencer: '0000000000AA000001',
      outcome: 'stored',
      item: {ArtistID: 'Lined', ItemID: 'TRACK#Stored'},
      alreadyStored: false,
      durationMs: line.durationMs,
    })
    expect(counts).toEqual({...emptyOutcomeCounts(), stored: 1})
  })

  test('an event with no ETag: the line says the object was handled as it is now', async () => {
    const {etag: _etag, ...ref} = await put('no-etag.json', record('NoEtag'))
    const {line} = await logged(() => processUpload(ref))
    expect(line).toMatchObject({
      level: 'info',
      key: 'no-etag.json',
      outcome: 'stored',
      note: 'the event carries no ETag: handled as the object is now',
    })
  })

  test('a failure: an error line naming the error, counted as failed, and the error thrown for a retry', async () => {
    const ref = await put('failing.json', record('Failing'))
    const injected = Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})
    failGet = () => {
      throw injected
    }
    try {
      const {line, counts} = await logged(() => expect(processUpload(ref)).rejects.toBe(injected))
      expect(line).toStrictEqual({
        level: 'error',
        bucket,
        key: 'failing.json',
        etag: ref.etag,
        sequencer: '0000000000AA000001',
        outcome: 'failed',
        transient: true,
        error: 'InternalError: injected',
        durationMs: line.durationMs,
      })
      expect(counts).toEqual({...emptyOutcomeCounts(), failed: 1})
    } finally {
      failGet = undefined
    }
  })

  test('whatever is thrown, the failure is logged and counted, and that same thing thrown', async () => {
    const ref = await put('throws-nothing.json', record('ThrowsNothing'))
    failGet = () => {
      throw undefined
    }
    try {
      const {line, counts} = await logged(() => expect(processUpload(ref)).rejects.toBeUndefined())
      expect(line).toMatchObject({level: 'error', key: 'throws-nothing.json', outcome: 'failed'})
      expect(counts).toEqual({...emptyOutcomeCounts(), failed: 1})
    } finally {
      failGet = undefined
    }
  })
})

describe('an upload the sweep found says whether the sweep recovered it', () => {
  test('handled: recovered, and counted so (its event went missing)', async () => {
    const ref = await put('swept.json', record('Swept'))
    const {line, counts} = await logged(() => processUpload(ref, {bySweep: true}))
    expect(line).toMatchObject({level: 'info', outcome: 'stored', recoveredBySweep: true})
    expect(counts).toEqual({...emptyOutcomeCounts(), stored: 1, recoveredBySweep: 1})
  })

  test('gone by then: not recovered, a warning with why', async () => {
    const ref: ObjectRef = {bucket, key: 'swept-gone.json', size: 10, etag: '0123456789abcdef0123456789abcdef'}
    const {line, counts} = await logged(() => processUpload(ref, {bySweep: true}))
    expect(line).toMatchObject({
      level: 'warn',
      outcome: 'skipped',
      why: 'gone',
      because: 'the object is no longer in the processing bucket (already handled, or removed)',
      recoveredBySweep: false,
    })
    expect(counts).toEqual({...emptyOutcomeCounts(), skipped: 1})
  })

  test('failed: not recovered', async () => {
    const ref = await put('swept-failing.json', record('SweptFailing'))
    failGet = () => {
      throw Object.assign(new Error('Invalid Argument'), {name: 'InvalidArgument', $metadata: {httpStatusCode: 400}})
    }
    try {
      const {line} = await logged(() => expect(processUpload(ref, {bySweep: true})).rejects.toThrow('Invalid Argument'))
      expect(line).toMatchObject({level: 'error', outcome: 'failed', recoveredBySweep: false, transient: false})
    } finally {
      failGet = undefined
    }
  })
})

describe('a batch that runs short of time goes on', () => {
  const lambdaContext = (remainingMillis: number) => ({
    getRemainingTimeInMillis: () => remainingMillis,
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:EventPulse-Processor',
  })

  test('at once, when any upload of an event stops at a checkpoint', async () => {
    const continued: unknown[] = []
    const handler = createProcessorHandler({
      ...deps(bucket),
      sweep: {stuckAfterSeconds: 0, region: 'eu-west-1', deadLetter: async () => {}},
      continueLater: async (event) => void continued.push(event),
    })
    const event = [
      await putWithEvent(t.pipeline.s3, bucket, 'continued.ndjson', batchOf(3, 'Continued')),
      await putWithEvent(t.pipeline.s3, bucket, 'single.json', record('Single')),
    ]
    // No time left: the batch starts no line, and goes on from its first in the next invocation.
    expect(await handler(event, lambdaContext(0))).toEqual([
      expect.objectContaining({outcome: 'continuing', nextLine: 1}),
      expect.objectContaining({outcome: 'stored'}),
    ])
    expect(continued).toEqual([event])
  })

  test("in a sweep, a batch stops in time for the sweep's own end", async () => {
    const sweepBucket = 'handler-sweep-timed'
    const handler = createProcessorHandler({
      ...deps(sweepBucket),
      sweep: {stuckAfterSeconds: 0, region: 'eu-west-1', deadLetter: async () => {}},
    })
    await put('timed.ndjson', batchOf(3, 'Timed'), sweepBucket)
    lines.length = 0
    // Time to start an object, but once the sweep's reserve is kept, less than a batch's stop margin.
    const result = (await handler(SWEEP_REQUEST, lambdaContext(SWEEP_TIME_RESERVE_MS + 5000))) as SweepResult
    expect(result).toMatchObject({swept: 1, recovered: 1, failed: 0})
    expect(lines).toContainEqual(
      expect.objectContaining({key: 'timed.ndjson', outcome: 'continuing', nextLine: 1, recoveredBySweep: true}),
    )
    expect(await t.keys(sweepBucket)).toEqual(['timed.ndjson'])
  })

  test('a sweep with no Lambda context (no time limit) finishes its batches', async () => {
    const sweepBucket = 'handler-sweep-untimed'
    const handler = createProcessorHandler({
      ...deps(sweepBucket),
      sweep: {stuckAfterSeconds: 0, region: 'eu-west-1', deadLetter: async () => {}},
    })
    await put('untimed.ndjson', batchOf(3, 'Untimed'), sweepBucket)
    lines.length = 0
    expect(await handler(SWEEP_REQUEST)).toMatchObject({swept: 1, recovered: 1, failed: 0})
    expect(lines).toContainEqual(
      expect.objectContaining({key: 'untimed.ndjson', outcome: 'batch', counts: expect.objectContaining({stored: 3})}),
    )
    expect(await t.keys(sweepBucket)).toEqual([])
  })
})

test('a sweep with no Lambda context gives up on an object with an event naming no account, not a made-up one', async () => {
  const sweepBucket = 'handler-sweep-no-account'
  const letters: SweepDeadLetter[] = []
  const handler = createProcessorHandler({
    ...deps(sweepBucket),
    sweep: {stuckAfterSeconds: 0, region: 'eu-west-1', deadLetter: async (letter) => void letters.push(letter)},
  })
  await put('given-up.json', record('GivenUp'), sweepBucket)
  failGet = () => {
    throw Object.assign(new Error('Invalid Argument'), {name: 'InvalidArgument', $metadata: {httpStatusCode: 400}})
  }
  try {
    for (let run = 1; run <= SWEEP_LIMITS.maxAttempts; run++) await handler(SWEEP_REQUEST)
  } finally {
    failGet = undefined
  }
  expect(letters.map((letter) => [letter.event.account, letter.event.region, letter.event.detail.object.key])).toEqual([
    ['', 'eu-west-1', 'given-up.json'],
  ])
})
