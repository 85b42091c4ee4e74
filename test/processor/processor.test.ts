import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {
  decodeMetadataValue,
  ITEM_METADATA,
  parseQuarantineKey,
  QUARANTINE_METADATA,
} from '#contract/pipeline-contract.js'
import {decodeEventKey, type ObjectCreatedEvent} from '#processor/event.js'
import {createObjectHandler} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {objectCreatedEvent} from '#local/events.js'
import {localClients} from '#local/target.js'
import {PROJECT_ROOT} from '../helpers/run-cli.js'
import {removeDir, startTestPipeline} from './helpers.js'

const record = (artist: string, title: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ArtistID: artist, ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: 200, ...extra})

let t: Awaited<ReturnType<typeof startTestPipeline>>
const events: ObjectCreatedEvent[] = []

beforeAll(async () => {
  t = await startTestPipeline({onResult: (_results, event) => events.push(event)})
})

afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
})

const notificationsFor = (key: string): Notification[] => t.notifications.filter((n) => n.sourceKey === key)

describe('a valid record', () => {
  test('is stored with its pipeline metadata, leaves the processing bucket, and is notified once', async () => {
    const key = 'catalog/knock2.json'
    const body = readFileSync(join(PROJECT_ROOT, 'examples/valid/knock2-feel-u-luv-me.json'))
    const etag = await t.upload(key, body)
    await t.pipeline.idle()

    const item = await t.item('Knock2', 'TRACK#FeelULuvMe')
    expect(item).toMatchObject({
      Title: {S: 'Feel U Luv Me'},
      Features: {L: [{S: 'Isoxo'}]},
      [ITEM_METADATA.sourceKey]: {S: key},
      [ITEM_METADATA.sourceEtag]: {S: etag},
    })
    const event = events.find((e) => decodeEventKey(e.detail.object.key) === key)!
    expect(item![ITEM_METADATA.sourceSequencer]).toEqual({S: event.detail.object.sequencer})
    expect(Date.parse(item![ITEM_METADATA.ingestedAt].S!)).toBeGreaterThan(Date.now() - 60_000)
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])

    expect(notificationsFor(key)).toEqual([
      expect.objectContaining({outcome: 'stored', item: {ArtistID: 'Knock2', ItemID: 'TRACK#FeelULuvMe'}}),
    ])
    expect((await t.outbox()).filter((n) => n.sourceKey === key)).toHaveLength(1)
    expect(t.logs).toContainEqual(expect.objectContaining({key, outcome: 'stored', durationMs: expect.any(Number)}))
  })
})

describe('invalid objects', () => {
  const big = Buffer.alloc(1024 * 1024 + 10, 0x20)
  const cases: [string, string, string | Uint8Array][] = [
    ['trailing-comma.json', 'invalid-json', readFileSync(join(PROJECT_ROOT, 'examples/invalid/trailing-comma.json'))],
    [
      'entity-type-mismatch.json',
      'schema',
      readFileSync(join(PROJECT_ROOT, 'examples/invalid/entity-type-mismatch.json')),
    ],
    [
      'features-bare-strings.json',
      'schema',
      readFileSync(join(PROJECT_ROOT, 'examples/invalid/features-bare-strings.json')),
    ],
    ['unknown-attribute.json', 'schema', readFileSync(join(PROJECT_ROOT, 'examples/invalid/unknown-attribute.json'))],
    ['latin1.json', 'not-utf8', Buffer.from('{"ArtistID": "Beyonc\xe9"}', 'latin1')],
    ['bom.json', 'invalid-json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(record('A', 'B'))])],
    ['empty.json', 'invalid-json', ''],
    ['huge #1.json', 'too-large', big],
  ]

  test.each(cases)(
    '%s is quarantined as %s, with its reason recorded, and the original removed',
    async (name, reason, body) => {
      const key = `invalid/${name}`
      const etag = await t.upload(key, body)
      await t.pipeline.idle()

      const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter(
        (k) => parseQuarantineKey(k)?.sourceKey === key,
      )
      expect(entries).toHaveLength(1)
      const {metadata, body: stored} = await t.quarantined(entries[0])
      expect(Buffer.from(stored, 'latin1').length > 0 || body.length === 0).toBe(true)
      expect(metadata[QUARANTINE_METADATA.reason]).toBe(reason)
      expect(metadata[QUARANTINE_METADATA.sourceEtag]).toBe(etag)
      expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.sourceKey])).toBe(key)
      expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message]).length).toBeGreaterThan(10)
      expect(Date.parse(metadata[QUARANTINE_METADATA.quarantinedAt])).not.toBeNaN()
      expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
      expect(notificationsFor(key)).toEqual([
        expect.objectContaining({outcome: 'quarantined', reason, quarantineKey: entries[0]}),
      ])
    },
  )

  test('an object over the cap is moved without being downloaded, bytes intact', async () => {
    const key = 'invalid/huge #1.json'
    expect(t.logs).toContainEqual(expect.objectContaining({key, outcome: 'quarantined', reason: 'too-large'}))
    const entry = (await t.keys(t.pipeline.state.quarantineBucket)).find((k) => k.startsWith(`${key}/`))!
    expect((await t.quarantined(entry)).body.length).toBe(1024 * 1024 + 10)
    expect(t.getObjectKeys).not.toContain(key)
  })
})

describe('duplicates', () => {
  test('a second object with a stored record is quarantined as duplicate, naming the existing item', async () => {
    await t.upload('dup/first.json', record('Odesza', 'A Moment Apart'))
    await t.pipeline.idle()
    await t.upload('dup/second.json', record('Odesza', 'A Moment Apart', {Duration: 201}))
    await t.pipeline.idle()

    expect((await t.item('Odesza', 'TRACK#A Moment Apart'))![ITEM_METADATA.sourceKey]).toEqual({S: 'dup/first.json'})
    const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('dup/second.json/'))
    const {metadata} = await t.quarantined(entry)
    expect(metadata[QUARANTINE_METADATA.reason]).toBe('duplicate')
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toContain('dup/first.json')
    expect(notificationsFor('dup/second.json')).toEqual([
      expect.objectContaining({
        outcome: 'quarantined',
        reason: 'duplicate',
        item: {ArtistID: 'Odesza', ItemID: 'TRACK#A Moment Apart'},
      }),
    ])
  })

  test('two objects with the same record uploaded at once: exactly one stored, one quarantined', async () => {
    const body = record('Madeon', 'Love You Back')
    await Promise.all([t.upload('race/a.json', body), t.upload('race/b.json', body)])
    await t.pipeline.idle()

    const item = await t.item('Madeon', 'TRACK#Love You Back')
    const winner = item![ITEM_METADATA.sourceKey].S!
    const loser = winner === 'race/a.json' ? 'race/b.json' : 'race/a.json'
    expect(['race/a.json', 'race/b.json']).toContain(winner)
    const quarantine = await t.keys(t.pipeline.state.quarantineBucket)
    expect(quarantine.filter((k) => k.startsWith('race/'))).toEqual([expect.stringMatching(new RegExp(`^${loser}/q-`))])
    expect(notificationsFor(winner).map((n) => n.outcome)).toEqual(['stored'])
    expect(notificationsFor(loser).map((n) => n.reason)).toEqual(['duplicate'])
  })

  test('the same upload of one record twice under one key is kept twice in quarantine, never replaced', async () => {
    const body = '{"ArtistID": oops}'
    await t.upload('again.json', body)
    await t.pipeline.idle()
    await t.upload('again.json', body)
    await t.pipeline.idle()
    const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('again.json/'))
    expect(entries).toHaveLength(2)
  })
})

describe('redelivery and retries', () => {
  const bucket = 'direct-delivery'

  test('the same event delivered twice: one item, no false duplicate, even after a failure between store and delete', async () => {
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
    const deps = {
      s3: t.pipeline.s3,
      dynamodb: t.pipeline.dynamodb,
      quarantineBucket: t.pipeline.state.quarantineBucket,
      table: t.pipeline.state.table,
    }
    const published: Notification[] = []
    let failDelete = true
    const failingS3 = Object.create(t.pipeline.s3, {
      send: {
        value: async (command: {constructor: {name: string}}) => {
          if (failDelete && command.constructor.name === 'DeleteObjectCommand')
            throw Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})
          return t.pipeline.s3.send(command as never)
        },
      },
    })
    const handler = createObjectHandler({
      ...deps,
      s3: failingS3,
      processingBucket: bucket,
      notifier: {publish: async (n) => void published.push(n)},
      log: () => {},
    })

    const key = 'redelivered one+two.json'
    const {ETag} = await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: bucket, Key: key, Body: record('Porter Robinson', 'Cheerleader')}),
    )
    const event = objectCreatedEvent({
      bucket,
      key,
      size: 10,
      etag: ETag!.replaceAll('"', ''),
      sequencer: '0000000000AA000001',
      region: 'us-east-1',
    })

    await expect(handler(event)).rejects.toThrow('injected')
    expect(await t.item('Porter Robinson', 'TRACK#Cheerleader')).toBeDefined()
    failDelete = false
    expect(await handler(event)).toEqual([expect.objectContaining({outcome: 'stored', alreadyStored: true})])
    expect(await handler(event)).toEqual([expect.objectContaining({outcome: 'skipped', why: 'gone'})])

    expect(await t.keys(bucket)).toEqual([])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('redelivered'))).toEqual([])
    expect(published.map((n) => n.outcome)).toEqual(['stored', 'stored'])
  })

  test('where DynamoDB does not return the conflicting item, a GetItem decides same upload or duplicate', async () => {
    const {s3, dynamodb} = localClients(t.pipeline.state.endpoints)
    const calls: string[] = []
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName!)
        try {
          return await next(args)
        } catch (error) {
          delete (error as {Item?: unknown}).Item
          throw error
        }
      },
      {step: 'initialize', name: 'forgetItem'},
    )
    const handler = createObjectHandler({
      s3,
      dynamodb,
      processingBucket: bucket,
      quarantineBucket: t.pipeline.state.quarantineBucket,
      table: t.pipeline.state.table,
      notifier: {publish: async () => {}},
      log: () => {},
    })
    const deliver = async (key: string, sequencer: string) => {
      const {ETag} = await t.pipeline.s3.send(
        new PutObjectCommand({Bucket: bucket, Key: key, Body: record('Fred again..', 'Delilah')}),
      )
      return objectCreatedEvent({
        bucket,
        key,
        size: 10,
        etag: ETag!.replaceAll('"', ''),
        sequencer,
        region: 'us-east-1',
      })
    }
    const first = await deliver('fallback/first.json', '0000000000BB000001')
    expect(await handler(first)).toEqual([expect.objectContaining({outcome: 'stored'})])
    const second = await deliver('fallback/second.json', '0000000000BB000002')
    expect(await handler(second)).toEqual([expect.objectContaining({outcome: 'quarantined', reason: 'duplicate'})])
    expect(calls).toEqual(['PutItemCommand', 'PutItemCommand', 'GetItemCommand'])
    s3.destroy()
    dynamodb.destroy()
  })

  test('an event for an upload that a newer one replaced is skipped; the newer one is processed', async () => {
    await t.upload('replaced.json', record('Skrillex', 'Rumble'))
    await t.upload('replaced.json', record('Skrillex', 'Ratata'))
    await t.pipeline.idle()
    expect(await t.item('Skrillex', 'TRACK#Ratata')).toBeDefined()
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('replaced.json'))).toEqual([])
  })
})

describe('keys with spaces, +, #, % and unicode', () => {
  const keys = ['my record.json', 'a+b.json', 'c#d.json', '100% real.json', 'Beyoncé/日本 ü+#%.json']

  test('round-trip from URL-encoded events to stored items and quarantine entries', async () => {
    await Promise.all(keys.map((key, i) => t.upload(`keys/${key}`, record('Keys', `Track ${i}`))))
    await Promise.all(keys.map((key) => t.upload(`bad-keys/${key}`, '{')))
    await t.pipeline.idle()

    for (const [i, key] of keys.entries()) {
      expect((await t.item('Keys', `TRACK#Track ${i}`))![ITEM_METADATA.sourceKey]).toEqual({S: `keys/${key}`})
      const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter(
        (k) => parseQuarantineKey(k)?.sourceKey === `bad-keys/${key}`,
      )
      expect(entries).toHaveLength(1)
      expect(decodeMetadataValue((await t.quarantined(entries[0])).metadata[QUARANTINE_METADATA.sourceKey])).toBe(
        `bad-keys/${key}`,
      )
    }
    const spaced = events.find((e) => decodeEventKey(e.detail.object.key) === 'keys/my record.json')!
    expect(spaced.detail.object.key).toBe('keys%2Fmy+record.json')
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  })

  test('a source key too long for S3 metadata once encoded is left out of it; the quarantine key still holds it', async () => {
    // Segments under 255 bytes: s3rver stores each one as a directory or file name.
    const key = `long/${Array.from({length: 5}, () => 'é'.repeat(90)).join('/')}.json`
    await t.upload(key, '[1, 2')
    await t.pipeline.idle()
    const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter(
      (k) => parseQuarantineKey(k)?.sourceKey === key,
    )
    const {metadata} = await t.quarantined(entry)
    expect(metadata[QUARANTINE_METADATA.reason]).toBe('invalid-json')
    expect(metadata[QUARANTINE_METADATA.sourceKey]).toBeUndefined()
    const metadataBytes = Object.entries(metadata).reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
      0,
    )
    expect(metadataBytes).toBeLessThan(2048)
  })
})
