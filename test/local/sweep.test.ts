import {readFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import {GetItemCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, expect, test} from 'vitest'

import {parseQuarantineKey, SWEEP_GAVE_UP, SWEEP_LIMITS} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {mapConcurrently} from '#core/concurrency.js'
import type {DeadLetterRecord} from '#local/dispatcher.js'
import {objectCreatedEvent, sequencerClock} from '#local/events.js'
import {encodeEventKey, type ObjectCreatedEvent} from '#processor/event.js'
import {removeDir, startTestPipeline} from '../processor/helpers.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

type TestPipeline = Awaited<ReturnType<typeof startTestPipeline>>

async function pipelineFor(options: Parameters<typeof startTestPipeline>[0]): Promise<TestPipeline> {
  const t = await startTestPipeline(options)
  dirs.push(t.dataDir)
  return t
}

/** Polls until the probe says yes, failing with what it waited for after two minutes. */
async function until(what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 120_000
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(100)
  }
}

const processingEmpty = (t: TestPipeline) => async () => (await t.keys(t.pipeline.state.processingBucket)).length === 0

/** Valid records under `valid/`, and under `invalid/` broken JSON and records the schema refuses, in turn. */
function uploads(count: number): {key: string; body: string; valid: boolean}[] {
  return Array.from({length: count}, (_, i) => {
    if (i % 4 === 1) return {key: `invalid/broken-${i}.json`, body: `{"ArtistID": "A${i}",`, valid: false}
    if (i % 4 === 3) return {key: `invalid/schema-${i}.json`, body: JSON.stringify({ArtistID: `A${i}`}), valid: false}
    const body = JSON.stringify({ArtistID: `Artist ${i}`, ItemID: `TRACK#${i}`, EntityType: 'Track', Duration: 200})
    return {key: `valid/track ${i}.json`, body, valid: true}
  })
}

/** Where every object ended: the source keys of the stored items, and of the quarantine entries (with repeats). */
async function placesOf(t: TestPipeline) {
  const stored = (await t.items()).map((item) => item.ep_source_key.S as string)
  const quarantined = (await t.keys(t.pipeline.state.quarantineBucket)).map((key) => parseQuarantineKey(key)!.sourceKey)
  return {stored, quarantined}
}

async function expectEachInItsOnePlace(t: TestPipeline, objects: {key: string; valid: boolean}[]) {
  const {stored, quarantined} = await placesOf(t)
  expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  // Stored XOR quarantined, each once: no second item, no second entry, no valid record quarantined.
  expect(stored.sort()).toEqual(
    objects
      .filter((o) => o.valid)
      .map((o) => o.key)
      .sort(),
  )
  expect(quarantined.sort()).toEqual(
    objects
      .filter((o) => !o.valid)
      .map((o) => o.key)
      .sort(),
  )
  expect(t.notifications.filter((n) => n.reason === 'duplicate')).toEqual([])
}

const deadLetters = async (t: TestPipeline): Promise<DeadLetterRecord[]> =>
  (await readFile(t.pipeline.layout.deadLetterFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

test(
  'lost events: with a fifth of the events lost, the sweep brings every one of 500 objects to its one right place',
  {
    timeout: 240_000,
  },
  async () => {
    const t = await pipelineFor({dropEventRatio: 0.2, sweepEverySeconds: 1, stuckAfterSeconds: 1})
    const objects = uploads(500)
    await mapConcurrently(objects, 16, (object) => t.upload(object.key, object.body))
    await until('an empty processing bucket', processingEmpty(t))
    await t.pipeline.idle()

    await expectEachInItsOnePlace(t, objects)
    const stats = t.pipeline.stats()
    // Each object whose event was lost was recovered by the sweep, and said so in its log line.
    const recovered = t.logs.filter((line) => line.recoveredBySweep === true)
    expect(stats.recoveredBySweep).toBe(recovered.length)
    expect(stats.recoveredBySweep).toBeGreaterThanOrEqual(50)
    expect(stats.stored + stats.quarantined).toBe(500)
    expect(stats).toMatchObject({deadLettered: 0, givenUpBySweep: 0})
    expect(await deadLetters(t)).toEqual([])
    await t.pipeline.stop()
  },
)

test(
  'sweep racing redelivery: late events, delivered twice while the sweep handles their objects, change nothing',
  {
    timeout: 240_000,
  },
  async () => {
    const t = await pipelineFor({dropEventRatio: 1, sweepEverySeconds: 1, stuckAfterSeconds: 1})
    const objects = uploads(200)
    const nextSequencer = sequencerClock()
    const late: ObjectCreatedEvent[] = await mapConcurrently(objects, 16, async ({key, body}) =>
      objectCreatedEvent({
        bucket: t.pipeline.state.processingBucket,
        key,
        size: Buffer.byteLength(body),
        etag: await t.upload(key, body),
        sequencer: nextSequencer(),
        region: t.pipeline.state.region,
      }),
    )
    // Once the sweep is under way, the lost events arrive after all, twice over.
    await until('the first object recovered by the sweep', () => t.logs.some((line) => line.recoveredBySweep === true))
    for (const event of [...late, ...late]) t.pipeline.deliver(event)
    await until('an empty processing bucket', processingEmpty(t))
    await t.pipeline.idle()

    await expectEachInItsOnePlace(t, objects)
    // One outcome and one notification per object, whoever got there first; the others found it done.
    const stats = t.pipeline.stats()
    expect(stats.stored + stats.quarantined).toBe(200)
    expect(stats.recoveredBySweep).toBeGreaterThan(0)
    for (const {key} of objects)
      expect(
        t.notifications.filter((n) => n.sourceKey === key),
        key,
      ).toHaveLength(1)
    await t.pipeline.stop()
  },
)

test(
  'an object the sweep cannot finish is tried SWEEP_LIMITS.maxAttempts times, dead-lettered once, then left alone',
  {
    timeout: 120_000,
  },
  async () => {
    const failing = 'sweep/always fails.json'
    const t = await pipelineFor({
      dropEventRatio: 1,
      sweepEverySeconds: 1,
      stuckAfterSeconds: 1,
      instrumentHandlerClients({s3}) {
        s3.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'GetObjectCommand' && (args.input as {Key: string}).Key === failing)
              throw Object.assign(new Error('Invalid Argument'), {
                name: 'InvalidArgument',
                $metadata: {httpStatusCode: 400},
              })
            return next(args)
          },
          {step: 'initialize', name: 'failOneKey'},
        )
      },
    })
    const etag = await t.upload(failing, JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#A', EntityType: 'Track'}))
    await t.upload('sweep/fine.json', JSON.stringify({ArtistID: 'B', ItemID: 'TRACK#B', EntityType: 'Track'}))

    await until('a dead letter', async () => (await deadLetters(t)).length > 0)
    // Later runs leave it alone: two more runs that saw it as given up.
    const runsSince = t.logs.length
    await until(
      'two more sweeps',
      () => t.logs.slice(runsSince).filter((line) => line.sweep && line.givenUpBefore === 1).length >= 2,
    )
    await t.pipeline.idle()

    const letters = await deadLetters(t)
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({
      attempts: SWEEP_LIMITS.maxAttempts,
      error: {name: 'InvalidArgument', message: 'Invalid Argument', transient: false},
      event: {
        'detail-type': 'Object Created',
        source: 'aws.s3',
        detail: {bucket: {name: t.pipeline.state.processingBucket}, object: {key: encodeEventKey(failing), etag}},
      },
    })
    expect(t.getObjectKeys.filter((key) => key === failing)).toHaveLength(SWEEP_LIMITS.maxAttempts)
    const {Item} = await t.pipeline.dynamodb.send(
      new GetItemCommand({
        TableName: t.pipeline.state.outcomesTable,
        Key: {[OUTCOMES_TABLE.partitionKey]: {S: failing}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
      }),
    )
    expect(Item).toMatchObject({
      [OUTCOMES_TABLE.attributes.outcome]: {S: SWEEP_GAVE_UP},
      [OUTCOMES_TABLE.attributes.sweepAttempts]: {N: String(SWEEP_LIMITS.maxAttempts)},
      [OUTCOMES_TABLE.attributes.expiresAt]: {N: expect.stringMatching(/^\d+$/)},
    })
    // It stays where it is, for someone to look at; the other object was recovered.
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([failing])
    expect(t.pipeline.stats()).toMatchObject({recoveredBySweep: 1, givenUpBySweep: 1, deadLettered: 1, stored: 1})
    await t.pipeline.stop()
  },
)
