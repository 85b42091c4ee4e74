import {gzipSync} from 'node:zlib'

import {PutItemCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, beforeAll, expect, test} from 'vitest'

import {decodeMetadataValue, QUARANTINE_METADATA, quarantineKey} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {objectCreatedEvent} from '#local/events.js'
import {createObjectHandler} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {
  directHandlerDeps,
  s3Before,
  startTestPipeline,
  stopTestPipeline,
  type TestPipeline,
  trackRecord as record,
} from './helpers.js'

// Event keys with a second spelling, a batch event without an ETag, and where a long quarantine message is cut: a
// handler of our own on a bucket the local pipeline does not watch, each test delivering the events itself.

const bucket = 'object-keys-and-cuts'
let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline({unwatchedBucket: bucket})
})

afterAll(() => stopTestPipeline(t))

const put = (key: string, body: string | Uint8Array) => t.upload(key, body, bucket)

// URL-encoded as S3 sends it: 'spelled x.json' arrives as 'spelled+x.json', which is also a key of its own.
const eventFor = (key: string, etag: string) =>
  objectCreatedEvent({bucket, key, size: 10, etag, sequencer: '0000000000AA000001', region: 'us-east-1'})

function handlerWith(s3 = t.pipeline.s3) {
  const published: Notification[] = []
  const handler = createObjectHandler({
    ...directHandlerDeps(t.pipeline, bucket),
    s3,
    notifier: {publish: async (n) => void published.push(n)},
  })
  return {handler, published}
}

const keysStartingWith = async (prefix: string) => (await t.keys(bucket)).filter((key) => key.startsWith(prefix))

test('an event whose key decodes: another object under the raw spelling of that key is left alone', async () => {
  const {handler, published} = handlerWith()
  const body = record('Jamie xx', 'Gosh')
  const etag = await put('spelled x.json', body)
  await put('spelled+x.json', body)
  expect(await handler(eventFor('spelled x.json', etag))).toEqual([
    expect.objectContaining({outcome: 'stored', key: 'spelled x.json'}),
  ])
  expect(published.map((n) => n.sourceKey)).toEqual(['spelled x.json'])
  expect(await keysStartingWith('spelled')).toEqual(['spelled+x.json'])
})

test('a batch another processor holds is skipped; another object under the raw spelling is left alone', async () => {
  const {handler, published} = handlerWith()
  const body = record('Jamie xx', 'Loud Places')
  const etag = await put('leased b.ndjson', body)
  await put('leased+b.ndjson', body)
  const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
  await t.pipeline.dynamodb.send(
    new PutItemCommand({
      TableName: t.pipeline.state.outcomesTable,
      Item: {
        [partitionKey]: {S: 'leased b.ndjson'},
        [sortKey]: {S: etag},
        [attributes.leaseOwner]: {S: 'another processor'},
        [attributes.leaseExpiresAt]: {N: String(Date.now() + 3_600_000)},
      },
    }),
  )
  expect(await handler(eventFor('leased b.ndjson', etag))).toEqual([
    {outcome: 'skipped', key: 'leased b.ndjson', why: 'leased', leaseExpiresAt: expect.any(Number)},
  ])
  expect(published).toEqual([])
  expect(await keysStartingWith('leased')).toEqual(['leased b.ndjson', 'leased+b.ndjson'])
})

test('a batch event without an ETag, the batch replaced while it is read: skipped, nothing announced', async () => {
  const key = 'no-etag.ndjson.gz'
  const lines = Array.from({length: 300}, (_, i) => record('Moderat', `No ETag ${i}`))
  const whole = gzipSync(lines.join('\n'))
  const etag = await put(key, whole.subarray(0, Math.floor(whole.length * 0.6)))
  let newer: string | undefined
  // The newer upload lands before the broken object is copied to quarantine.
  const {handler, published} = handlerWith(
    s3Before(t.pipeline.s3, 'CopyObjectCommand', async () => {
      newer ??= await put(key, lines[0])
    }),
  )
  const event = eventFor(key, etag)
  delete event.detail.object.etag
  expect(await handler(event)).toEqual([{outcome: 'skipped', key, why: 'superseded'}])
  expect(published).toEqual([])
  expect(await t.keys(t.pipeline.state.quarantineBucket)).toEqual([])
  expect(await keysStartingWith(key)).toEqual([key])
  expect(newer).toBeDefined()
})

test.each([
  ['an emoji early on', `🎵${'A'.repeat(400)}`, 299],
  ['an emoji just past the cut', `${'A'.repeat(290)}${'🎵'.repeat(5)}`, 299],
])('a long message with %s is cut at 300 characters, whole characters only', async (name, artist, kept) => {
  const {handler} = handlerWith()
  const first = `cut/${name} first.json`
  await handler(eventFor(first, await put(first, record(artist, 'Cut'))))
  const key = `cut/${name}.json`
  const etag = await put(key, record(artist, 'Cut', {Duration: 9}))
  await handler(eventFor(key, etag))
  const full = `ArtistID "${artist}", ItemID "TRACK#Cut" is already stored (from ${first})`
  const {metadata} = await t.quarantined(quarantineKey(key, {etag}))
  expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(`${full.slice(0, kept)}…`)
})
