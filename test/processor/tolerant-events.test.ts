import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {ITEM_METADATA, parseQuarantineKey, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {type DeadLetterRecord, EventDispatcher} from '#local/dispatcher.js'
import {objectCreatedEvent} from '#local/events.js'
import {localClients} from '#local/target.js'
import {encodeEventKey, InvalidEventError, type ObjectCreatedEvent} from '#processor/event.js'
import {createObjectHandler, type LogLine, type ObjectHandler} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {removeDir, startTestPipeline, temporaryDir, type TestPipeline} from './helpers.js'

// Events as other S3 + EventBridge implementations send them, delivered straight to a handler of our own on a bucket
// the local pipeline does not watch. Every S3 and DynamoDB request the handler makes is recorded.

const bucket = 'tolerant-events'
let t: TestPipeline
let clients: ReturnType<typeof localClients>
let handler: ObjectHandler
const requests: {command: string; input: Record<string, unknown>}[] = []
const logs: LogLine[] = []
const notifications: Notification[] = []

beforeAll(async () => {
  t = await startTestPipeline()
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  clients = localClients(t.pipeline.state)
  for (const client of [clients.s3, clients.dynamodb])
    client.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push({command: context.commandName!, input: args.input as Record<string, unknown>})
        return next(args)
      },
      {step: 'initialize', name: 'recordRequests'},
    )
  handler = createObjectHandler({
    ...clients,
    processingBucket: bucket,
    quarantineBucket: t.pipeline.state.quarantineBucket,
    table: t.pipeline.state.table,
    outcomesTable: t.pipeline.state.outcomesTable,
    notifier: {publish: async (notification) => void notifications.push(notification)},
    log: (line) => logs.push(line),
  })
})

afterAll(async () => {
  clients?.s3.destroy()
  clients?.dynamodb.destroy()
  await t?.pipeline.stop()
  await removeDir(t?.dataDir)
})

interface Shape {
  key: 'encoded' | 'raw'
  etag: 'etag' | 'eTag' | 'none'
  sequencer: boolean
  versionId?: string
}

/** The event for an object, its detail.object shaped as the implementation would send it. */
function eventFor(key: string, etag: string, shape: Shape): ObjectCreatedEvent {
  const event = objectCreatedEvent({bucket, key, size: 80, etag, sequencer: '0000000000CC000001', region: 'us-east-1'})
  const object: Record<string, unknown> = {key: shape.key === 'raw' ? key : encodeEventKey(key), size: 80}
  if (shape.etag !== 'none') object[shape.etag] = etag
  if (shape.sequencer) object.sequencer = event.detail.object.sequencer
  if (shape.versionId !== undefined) object['version-id'] = shape.versionId
  return {...event, detail: {...event.detail, object: object as ObjectCreatedEvent['detail']['object']}}
}

async function put(key: string, body: string): Promise<string> {
  const {ETag} = await t.pipeline.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: body}))
  return ETag!.replaceAll('"', '')
}

const keys = ['a b.json', 'a+b.json', 'c#d.json', '%41.json', 'ü.json', '100%.json', 'nested/deeper/x y+z#1 ü.json']
const shapes: [string, Shape][] = [
  ['URL-encoded key, etag', {key: 'encoded', etag: 'etag', sequencer: true}],
  ['raw key, eTag', {key: 'raw', etag: 'eTag', sequencer: true}],
  ['raw key, version-id "null"', {key: 'raw', etag: 'etag', sequencer: true, versionId: 'null'}],
  [
    'URL-encoded key, a version id',
    {
      key: 'encoded',
      etag: 'eTag',
      sequencer: true,
      versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nrjfkd',
    },
  ],
  ['raw key, no ETag', {key: 'raw', etag: 'none', sequencer: true}],
  ['URL-encoded key, no ETag and no sequencer', {key: 'encoded', etag: 'none', sequencer: false}],
  ['raw key, no sequencer', {key: 'raw', etag: 'eTag', sequencer: false}],
]

describe.each(shapes.map(([name, shape], i) => [name, shape, i] as const))('events with a %s', (_name, shape, i) => {
  const record = (n: number) =>
    JSON.stringify({ArtistID: 'Tolerant', ItemID: `TRACK#${i}-${n}`, EntityType: 'Track', Duration: 100 + n})

  test('store each valid record under the right key, and empty the processing bucket', async () => {
    for (const [n, name] of keys.entries()) {
      const key = `good${i}/${name}`
      const etag = await put(key, record(n))
      expect(await handler(eventFor(key, etag, shape))).toEqual([expect.objectContaining({outcome: 'stored', key})])
      const item = await t.item('Tolerant', `TRACK#${i}-${n}`)
      expect(item).toMatchObject({[ITEM_METADATA.sourceKey]: {S: key}, [ITEM_METADATA.sourceEtag]: {S: etag}})
      expect(item![ITEM_METADATA.sourceSequencer]).toEqual(shape.sequencer ? {S: '0000000000CC000001'} : undefined)
      expect(notifications.at(-1)).toMatchObject({outcome: 'stored', sourceKey: key, etag})
    }
    expect(await t.keys(bucket)).toEqual([])
  })

  test('quarantine each invalid object under its own key, and empty the processing bucket', async () => {
    for (const name of keys) {
      const key = `bad${i}/${name}`
      const etag = await put(key, '{"ArtistID": ')
      expect(await handler(eventFor(key, etag, shape))).toEqual([
        expect.objectContaining({outcome: 'quarantined', reason: 'invalid-json', key}),
      ])
      const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter(
        (k) => parseQuarantineKey(k)?.sourceKey === key,
      )
      expect((await t.quarantined(entry)).metadata[QUARANTINE_METADATA.sourceEtag]).toBe(etag)
    }
    expect(await t.keys(bucket)).toEqual([])
  })

  test(shape.etag === 'none' ? 'log that the object was handled as it is now' : 'log the event ETag', () => {
    const lines = logs.filter((line) => String(line.key).startsWith(`good${i}/`))
    expect(lines).toHaveLength(keys.length)
    for (const line of lines)
      if (shape.etag === 'none') expect(line.note).toMatch(/no ETag/)
      else expect(line.etag).toEqual(expect.any(String))
  })
})

test('no S3 request ever carries a version id, whatever the event said', () => {
  expect(requests.filter((request) => request.command.endsWith('ObjectCommand')).length).toBeGreaterThan(100)
  expect(requests.filter((request) => request.input.VersionId !== undefined)).toEqual([])
  expect(requests.filter((request) => JSON.stringify(request.input).includes('versionId'))).toEqual([])
})

test('a raw key that decodes to a key holding another upload: the raw key is processed, the other left alone', async () => {
  const other = await put('clash/x y.json', JSON.stringify({ArtistID: 'Clash', ItemID: 'TRACK#Space', Duration: 1}))
  const etag = await put('clash/x+y.json', JSON.stringify({ArtistID: 'Clash', ItemID: 'TRACK#Plus', Duration: 2}))
  const raw = {key: 'raw', etag: 'etag', sequencer: true} as const
  expect(await handler(eventFor('clash/x+y.json', etag, raw))).toEqual([
    expect.objectContaining({outcome: 'stored', key: 'clash/x+y.json'}),
  ])
  expect(await t.keys(bucket)).toEqual(['clash/x y.json'])
  expect(await handler(eventFor('clash/x y.json', other, {...raw, key: 'encoded'}))).toEqual([
    expect.objectContaining({outcome: 'stored', key: 'clash/x y.json'}),
  ])
  expect(await t.keys(bucket)).toEqual([])
})

test('a skipped upload is never silent: a warning line with why', async () => {
  const event = eventFor('never/there.json', '0123', {key: 'encoded', etag: 'etag', sequencer: true})
  expect(await handler(event)).toEqual([{outcome: 'skipped', key: 'never/there.json', why: 'gone'}])
  expect(logs.at(-1)).toMatchObject({
    level: 'warn',
    outcome: 'skipped',
    key: 'never/there.json',
    why: 'gone',
    because: expect.stringContaining('no longer in the processing bucket'),
  })
})

describe('an event that cannot be understood', () => {
  const valid = eventFor('x.json', 'e', {key: 'encoded', etag: 'etag', sequencer: true})
  const garbled: [string, unknown][] = [
    ['not an event', {hello: 'world'}],
    ['no object', {...valid, detail: {...valid.detail, object: undefined}}],
    ['an empty key', {...valid, detail: {...valid.detail, object: {key: ''}}}],
    ['another detail-type', {...valid, 'detail-type': 'Object Deleted'}],
    ['an SQS record that is not JSON', {Records: [{body: '{oops'}]}],
  ]

  test.each(garbled)(
    'fails the invocation (%s), so it is retried and dead-lettered, never dropped',
    async (_, event) => {
      await expect(handler(event)).rejects.toThrow(/not an S3 "Object Created" event|JSON/)
    },
  )

  test('is dead-lettered whole by the local dispatcher, at once', async () => {
    const dir = await temporaryDir()
    const deadLetters: DeadLetterRecord[] = []
    const dispatcher = new EventDispatcher({
      handler,
      concurrency: 1,
      maxAttempts: 3,
      retryDelayMs: 1,
      inflightDirectory: join(dir, 'inflight'),
      deadLetterFile: join(dir, 'dead-letter.jsonl'),
      onDeadLetter: (record) => deadLetters.push(record),
    })
    for (const [, event] of garbled.slice(0, 3)) dispatcher.submit(event as ObjectCreatedEvent)
    await dispatcher.idle()
    expect(deadLetters.map((record) => record.event)).toEqual(garbled.slice(0, 3).map(([, event]) => event))
    expect(deadLetters.map((record) => [record.attempts, record.error.name])).toEqual(
      Array(3).fill([1, InvalidEventError.name]),
    )
    const lines = (await readFile(join(dir, 'dead-letter.jsonl'), 'utf8')).trim().split('\n')
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(
      garbled.slice(0, 3).map(([, event]) => JSON.parse(JSON.stringify(event))),
    )
    await removeDir(dir)
  })
})
