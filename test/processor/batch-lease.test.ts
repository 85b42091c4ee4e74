import {gzipSync} from 'node:zlib'

import {type DynamoDBClient, PutItemCommand, UpdateItemCommand} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ITEM_METADATA, QUARANTINE_METADATA, quarantineKey} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {objectCreatedEvent} from '#local/events.js'
import {createObjectHandler} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import type {BatchSettings} from '#processor/process-batch.js'
import type {ProcessResult} from '#processor/results.js'
import {directHandlerDeps, s3Before, startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// Batches delivered by the tests themselves (on a bucket the local pipeline does not watch), to processors whose
// DynamoDB calls can be held or failed: the lease, lines failing, time running out, data breaking off.
const bucket = 'batch-lease'
let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline({unwatchedBucket: bucket})
})

afterAll(() => stopTestPipeline(t))

/** Record `n` of the batch under `key` (each batch has records of its own). */
const track = (key: string, n: number) =>
  JSON.stringify({ArtistID: 'Lease Artist', ItemID: `TRACK#${key}#${n}`, EntityType: 'Track', Duration: 100 + n})
const lines = (key: string, count: number) => Array.from({length: count}, (_, i) => track(key, i + 1)).join('\n')
const counts = (records: number, more: Record<string, unknown> = {}) => ({
  records,
  stored: records,
  unchanged: 0,
  quarantined: 0,
  reasons: {},
  ...more,
})

/** Puts a batch object and returns its event. */
async function deliverable(key: string, body: string | Uint8Array) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const {ETag} = await t.pipeline.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: bytes}))
  const etag = ETag!.replaceAll('"', '')
  const event = objectCreatedEvent({
    bucket,
    key,
    size: bytes.length,
    etag,
    sequencer: '0000000000AA000001',
    region: 'us-east-1',
  })
  return {etag, event}
}

type Command = {constructor: {name: string}; input: Record<string, unknown>}

/** The pipeline's DynamoDB, but `before` runs ahead of each call; if it throws, so does the call. */
function dynamodbBefore(before: (command: Command) => void | Promise<void>): DynamoDBClient {
  const {dynamodb} = t.pipeline
  return Object.create(dynamodb, {
    send: {
      value: async (command: Command) => {
        await before(command)
        return dynamodb.send(command as never)
      },
    },
  })
}

/** The line of the batch a PutItem stores, if it is one. */
const lineOf = (command: Command): number | undefined =>
  command instanceof PutItemCommand ? Number(command.input.Item?.[ITEM_METADATA.sourceLine]?.N) : undefined
/** The update a batch makes to its outcome record: `acquire`, `checkpoint`, `complete` or `release`. */
function updateOf(command: Command): string | undefined {
  if (!(command instanceof UpdateItemCommand)) return undefined
  const expression = command.input.UpdateExpression ?? ''
  if (expression.startsWith('SET #owner')) return 'acquire'
  if (expression.includes('#outcome')) return 'complete'
  return expression.startsWith('SET #next') ? 'checkpoint' : 'release'
}

const refused = (name = 'AccessDeniedException') =>
  Object.assign(new Error('injected'), {name, $metadata: {httpStatusCode: 400}})

/** A processor on the test bucket, its notifications collected; two lines a checkpoint, one line at a time. */
function processor(
  options: {dynamodb?: DynamoDBClient; s3?: S3Client; batch?: Partial<BatchSettings>; now?: () => Date} = {},
) {
  const published: Notification[] = []
  const handler = createObjectHandler({
    ...directHandlerDeps(t.pipeline, bucket),
    ...options,
    notifier: {publish: async (notification) => void published.push(notification)},
    batch: {linesPerCheckpoint: 2, parallelism: 1, ...options.batch},
  })
  return {handler, published}
}

/** The lines of `key` stored as items, in order. */
async function storedLines(key: string): Promise<number[]> {
  return (await t.items())
    .filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
    .map((item) => Number(item[ITEM_METADATA.sourceLine].N))
    .sort((a, b) => a - b)
}

describe('the lease on a batch', () => {
  test('a second delivery while a processor works through the batch (past a checkpoint) steps aside; the first finishes alone', async () => {
    const key = 'lease/held.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    const other = processor()
    let second: ProcessResult[] | undefined
    // Line 3 is done after the first checkpoint renewed the lease.
    const first = processor({
      dynamodb: dynamodbBefore(async (command) => {
        if (lineOf(command) === 3) second ??= await other.handler(event)
      }),
    })

    expect(await first.handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(5)}])
    expect(second).toEqual([{outcome: 'skipped', key, why: 'leased', leaseExpiresAt: expect.any(Number)}])
    expect(other.published).toEqual([])
    expect(first.published).toEqual([
      expect.objectContaining({
        outcome: 'batch',
        sourceKey: key,
        subject: 'EventPulse: batch 5 stored, 0 unchanged, 0 quarantined',
        message: `${key}: 5 records, 5 stored, 0 unchanged (already stored), 0 quarantined.`,
      }),
    ])
    expect(first.published[0].quarantineBucket).toBeUndefined()
    expect(await storedLines(key)).toEqual([1, 2, 3, 4, 5])
    expect(await t.keys(bucket)).not.toContain(key)
  })

  test('a processor whose lease expired and was taken over fails with LeaseLostError; the new owner finishes the batch once', async () => {
    const key = 'lease/lost.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    const other = processor()
    let second: ProcessResult[] | undefined
    // The first processor's clock is 10 minutes behind: its 5-minute lease has expired for everyone else.
    const first = processor({
      now: () => new Date(Date.now() - 10 * 60_000),
      dynamodb: dynamodbBefore(async (command) => {
        if (lineOf(command) === 3) second ??= await other.handler(event)
      }),
    })

    await expect(first.handler(event)).rejects.toMatchObject({
      name: 'LeaseLostError',
      message: `${key}: another processor took over the batch (its lease had expired)`,
    })
    expect(second).toEqual([{outcome: 'batch', key, etag, counts: counts(5)}])
    expect(first.published).toEqual([])
    expect(other.published).toHaveLength(1)
    expect(await storedLines(key)).toEqual([1, 2, 3, 4, 5])
  })

  test('DynamoDB refusing the lease or a checkpoint fails the invocation with its own error; the next delivery finishes', async () => {
    const key = 'lease/refused.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    let refuse: string | undefined = 'acquire'
    const {handler, published} = processor({
      dynamodb: dynamodbBefore((command) => {
        if (refuse === undefined || updateOf(command) !== refuse) return
        refuse = undefined
        throw refused()
      }),
    })

    await expect(handler(event)).rejects.toMatchObject({name: 'AccessDeniedException'})
    expect(await storedLines(key)).toEqual([])
    refuse = 'checkpoint'
    await expect(handler(event)).rejects.toMatchObject({name: 'AccessDeniedException'})
    expect(await storedLines(key)).toEqual([1, 2])
    expect(published).toEqual([])

    expect(await handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(5)}])
    expect(published).toHaveLength(1)
    expect(await t.keys(bucket)).not.toContain(key)
  })
})

/** The outcome record a holder leaves when it dies past line `doneLines`: its lease until `until`. */
const leftByDeadHolder = (key: string, etag: string, doneLines: number, until: number) =>
  t.leased(key, etag, {owner: 'a dead instance:its delivery', until, doneLines})

describe('a batch whose holder died', () => {
  test('a delivery with time to spare waits for the lease to expire and continues from the checkpoint', async () => {
    const key = 'dead/waited-for.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    await leftByDeadHolder(key, etag, 2, Date.now() + 1500)
    const {handler, published} = processor()

    expect(await handler(event, {getRemainingTimeInMillis: () => 60_000})).toEqual([
      {outcome: 'batch', key, etag, counts: counts(5)},
    ])
    // Lines 1 and 2 were the dead holder's: not done again.
    expect(await storedLines(key)).toEqual([3, 4, 5])
    expect(published).toHaveLength(1)
  })

  test('a delivery without the time to wait steps aside, saying when the lease expires', async () => {
    const key = 'dead/not-waited-for.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    const until = Date.now() + 40_000
    await leftByDeadHolder(key, etag, 2, until)
    const {handler} = processor({batch: {stopMarginMs: 15_000}})

    expect(await handler(event, {getRemainingTimeInMillis: () => 50_000})).toEqual([
      {outcome: 'skipped', key, why: 'leased', leaseExpiresAt: until},
    ])
    expect(await storedLines(key)).toEqual([])
  })
})

describe('a batch already done', () => {
  test('delivered again takes no lease, announces nothing and removes the object; its first notification was recorded', async () => {
    const key = 'done/again.ndjson'
    const body = lines(key, 3)
    const {etag, event} = await deliverable(key, body)
    const {handler, published} = processor()
    expect(await handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(3)}])
    const done = await t.outcome(key, etag)
    expect(done?.[OUTCOMES_TABLE.attributes.notifiedAt]?.S).toEqual(expect.any(String))

    // The same bytes sent again (the same ETag), twice.
    for (let again = 0; again < 2; again++) {
      await deliverable(key, body)
      expect(await handler(event)).toEqual([{outcome: 'skipped', key, why: 'done'}])
      expect(await t.keys(bucket)).not.toContain(key)
    }
    expect(published).toHaveLength(1)
    expect(await t.outcome(key, etag)).toEqual(done)
  })

  test('whose notification failed is announced by the next delivery, once', async () => {
    const key = 'done/unannounced.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 3))
    let failures = 1
    const published: Notification[] = []
    const {handler} = processor()
    const failingOnce = createObjectHandler({
      ...directHandlerDeps(t.pipeline, bucket),
      notifier: {
        publish: async (notification) => {
          if (failures-- > 0) throw refused('InternalError')
          published.push(notification)
        },
      },
    })

    await expect(failingOnce(event)).rejects.toMatchObject({name: 'InternalError'})
    expect(await failingOnce(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(3)}])
    await deliverable(key, lines(key, 3))
    expect(await handler(event)).toEqual([{outcome: 'skipped', key, why: 'done'}])
    expect(published).toHaveLength(1)
  })
})

describe('a batch line that fails', () => {
  test('fails the invocation with its error, starts no further line, and gives the lease up for the next delivery', async () => {
    const key = 'failing/for-good.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    let failing = true
    let lineOneFailed!: () => void
    const afterLineOne = new Promise<void>((resolve) => (lineOneFailed = resolve))
    const puts: number[] = []
    // Two lines at a time: line 1 fails while line 2 is held until that failure has been seen (a turn of the event
    // loop later).
    const {handler, published} = processor({
      batch: {parallelism: 2, linesPerCheckpoint: 10},
      dynamodb: dynamodbBefore(async (command) => {
        const line = lineOf(command)
        if (line === undefined) return
        puts.push(line)
        if (line === 1 && failing) {
          setImmediate(lineOneFailed)
          throw refused()
        }
        if (line === 2 && failing) await afterLineOne
      }),
    })

    await expect(handler(event)).rejects.toMatchObject({name: 'AccessDeniedException', message: 'injected'})
    // Line 2, under way, finishes; its worker then starts nothing more.
    await expect.poll(() => storedLines(key)).toEqual([2])
    await new Promise((resolve) => setImmediate(resolve))
    expect(puts).toEqual([1, 2])

    failing = false
    expect(await handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(5)}])
    expect(published).toHaveLength(1)
  })

  test('once, fails the invocation rather than quarantining anything, and the next delivery stores every line', async () => {
    const key = 'failing/once.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    let failures = 1
    const {handler} = processor({
      dynamodb: dynamodbBefore((command) => {
        if (lineOf(command) === 3 && failures-- > 0) throw refused()
      }),
    })

    await expect(handler(event)).rejects.toMatchObject({name: 'AccessDeniedException'})
    expect(await handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(5)}])
    expect(await storedLines(key)).toEqual([1, 2, 3, 4, 5])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))).toEqual([])
  })

  test('that DynamoDB refuses as too large is quarantined as too-large at its line, and the notification says where', async () => {
    const key = 'failing/too-large.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 3))
    const {handler, published} = processor({
      dynamodb: dynamodbBefore((command) => {
        if (lineOf(command) === 2)
          throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
            name: 'ValidationException',
            $metadata: {httpStatusCode: 400},
          })
      }),
    })

    const quarantined = {stored: 2, quarantined: 1, reasons: {'too-large': 1}}
    expect(await handler(event)).toEqual([{outcome: 'batch', key, etag, counts: counts(3, quarantined)}])
    const entry = await t.quarantined(quarantineKey(key, {etag}, 2))
    expect(entry.metadata[QUARANTINE_METADATA.reason]).toBe('too-large')
    expect(entry.body).toBe(track(key, 2))
    const {quarantineBucket} = t.pipeline.state
    expect(published).toEqual([
      expect.objectContaining({
        subject: 'EventPulse: batch 2 stored, 0 unchanged, 1 quarantined',
        message: `${key}: 3 records, 2 stored, 0 unchanged (already stored), 1 quarantined under ${key}/ in ${quarantineBucket}.`,
        quarantineBucket,
        batch: expect.objectContaining({problems: [{line: 2, path: '', reason: 'too-large'}]}),
      }),
    ])
  })
})

describe('a batch and the time left', () => {
  test('with exactly the stop margin left it goes on; with less it stops at the next line, and the next delivery continues', async () => {
    let puts = 0
    const {handler, published} = processor({
      batch: {stopMarginMs: 10_000, linesPerCheckpoint: 4},
      dynamodb: dynamodbBefore((command) => void (lineOf(command) === undefined || puts++)),
    })
    const enough = await deliverable('time/enough.ndjson', lines('time/enough.ndjson', 5))
    expect(await handler(enough.event, {getRemainingTimeInMillis: () => 10_000})).toEqual([
      {outcome: 'batch', key: 'time/enough.ndjson', etag: enough.etag, counts: counts(5)},
    ])

    // Time runs short once two lines are stored: mid-window, before the first checkpoint.
    const key = 'time/short.ndjson'
    const {etag, event} = await deliverable(key, lines(key, 5))
    puts = 0
    expect(await handler(event, {getRemainingTimeInMillis: () => (puts >= 2 ? 9_999 : 60_000)})).toEqual([
      {outcome: 'continuing', key, etag, nextLine: 3, counts: counts(2)},
    ])
    expect(await handler(event, {getRemainingTimeInMillis: () => 60_000})).toEqual([
      {outcome: 'batch', key, etag, counts: counts(5)},
    ])
    expect(published.map((n) => n.sourceKey)).toEqual(['time/enough.ndjson', key])
  })
})

describe('a batch whose data breaks off', () => {
  test('replaced by a newer upload before its copy is skipped: no entry, no notification, the newer upload untouched', async () => {
    const key = 'broken/replaced.ndjson.gz'
    const whole = gzipSync(lines(key, 50))
    const {event} = await deliverable(key, whole.subarray(0, Math.floor(whole.length * 0.6)))
    let newer: string | undefined
    const {handler, published} = processor({
      s3: s3Before(t.pipeline.s3, 'CopyObjectCommand', async () => {
        newer ??= (await deliverable(key, gzipSync(track(key, 1)))).etag
      }),
    })

    expect(await handler(event)).toEqual([{outcome: 'skipped', key, why: 'superseded'}])
    expect(published).toEqual([])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))).toEqual([])
    expect(await t.keys(bucket)).toContain(key)
    expect(newer).toBeDefined()
  })
})
