import {CreateBucketCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {createProcessorHandler} from '#processor/handler.js'
import {emptyOutcomeCounts, type OutcomeCounts, tallyOutcomes} from '#processor/metrics.js'
import {
  directHandlerDeps,
  putWithEvent,
  s3FailingOn,
  startTestPipeline,
  stopTestPipeline,
  type TestPipeline,
} from './helpers.js'

// What the processor counts for each outcome, through its metrics interface (CloudWatch metrics on AWS, the local
// pipeline's counts here): a handler of our own on a bucket the local pipeline does not watch.

const bucket = 'counted-outcomes'
let t: TestPipeline
let tally = tallyOutcomes()
let failDelete = false
let handler: ReturnType<typeof createProcessorHandler>

const record = (title: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ArtistID: 'Counted', ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: 200, ...extra})

beforeAll(async () => {
  t = await startTestPipeline()
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  const s3 = t.pipeline.s3
  const failingS3 = s3FailingOn(s3, 'DeleteObjectCommand', () => failDelete)
  handler = createProcessorHandler({
    ...directHandlerDeps(t.pipeline, bucket),
    s3: failingS3,
    metrics: {count: (...args) => tally.count(...args)},
    sweep: {stuckAfterSeconds: 0, region: 'us-east-1', deadLetter: async () => {}},
  })
})

afterAll(() => stopTestPipeline(t))

const put = (key: string, body: string) => putWithEvent(t.pipeline.s3, bucket, key, body)

/** What the handler counted while `run` ran, beside nothing else counted. */
async function counted(run: () => Promise<unknown>): Promise<OutcomeCounts> {
  tally = tallyOutcomes()
  await run()
  return tally.counts
}

const only = (counts: Partial<OutcomeCounts>): OutcomeCounts => ({...emptyOutcomeCounts(), ...counts})

describe('each outcome counts once', () => {
  test('stored, then the same record under another key unchanged', async () => {
    expect(await counted(async () => handler(await put('one.json', record('One'))))).toEqual(only({stored: 1}))
    expect(await counted(async () => handler(await put('again.json', record('One'))))).toEqual(only({unchanged: 1}))
  })

  test('quarantined, by reason', async () => {
    expect(await counted(async () => handler(await put('broken.json', '{"ArtistID": ')))).toEqual(
      only({quarantined: 1, reasons: {'invalid-json': 1}}),
    )
    expect(await counted(async () => handler(await put('shapeless.json', '{"ArtistID": "Counted"}')))).toEqual(
      only({quarantined: 1, reasons: {schema: 1}}),
    )
    expect(await counted(async () => handler(await put('changed.json', record('One', {Duration: 201}))))).toEqual(
      only({quarantined: 1, reasons: {duplicate: 1}}),
    )
  })

  test('skipped: an event delivered again after its upload was handled', async () => {
    const event = await put('twice.json', record('Twice'))
    await handler(event)
    expect(await counted(() => handler(event))).toEqual(only({skipped: 1}))
  })

  test('failed: a try that throws counts as failed, and its retry as stored', async () => {
    const event = await put('retried.json', record('Retried'))
    failDelete = true
    try {
      expect(await counted(() => expect(handler(event)).rejects.toThrow('injected'))).toEqual(only({failed: 1}))
    } finally {
      failDelete = false
    }
    expect(await counted(() => handler(event))).toEqual(only({stored: 1}))
  })

  test('a batch object counts its records, each quarantined one by its reason', async () => {
    const lines = [record('Batch 1'), record('Batch 2'), '{"ArtistID": "Counted"}', record('One'), '{']
    expect(await counted(async () => handler(await put('catalog.ndjson', lines.join('\n'))))).toEqual(
      only({stored: 2, unchanged: 1, quarantined: 2, reasons: {schema: 1, 'invalid-json': 1}}),
    )
  })

  test('the sweep: what it finds counts as its outcome and as recovered by the sweep', async () => {
    await put('lost-event.json', record('Lost'))
    await put('lost-event-broken.json', '[]')
    expect(await counted(() => handler(SWEEP_REQUEST))).toEqual(
      only({stored: 1, quarantined: 1, reasons: {schema: 1}, recoveredBySweep: 2}),
    )
  })
})
