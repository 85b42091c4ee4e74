import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {
  decodeMetadataValue,
  ITEM_METADATA,
  parseQuarantineKey,
  QUARANTINE_METADATA,
  quarantineKey,
} from '#contract/pipeline-contract.js'
import {decodeEventKey, type ObjectCreatedEvent} from '#processor/event.js'
import {createObjectHandler} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {objectCreatedEvent} from '#local/events.js'
import {localClients} from '#local/target.js'
import {PROJECT_ROOT} from '../helpers/run-cli.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {MAX_OBJECT_BYTES} from '#contract/limits.js'
import {
  directHandlerDeps,
  s3Before,
  s3FailingOn,
  startTestPipeline,
  stopTestPipeline,
  type TestPipeline,
  trackRecord as record,
} from './helpers.js'

let t: TestPipeline
const events: ObjectCreatedEvent[] = []

beforeAll(async () => {
  t = await startTestPipeline({onResult: (_results, event) => events.push(event)})
})

afterAll(() => stopTestPipeline(t))

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
    const key = 'invalid/huge #2.json'
    await t.upload(key, big)
    await t.pipeline.idle()
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

  test('a changed record re-uploaded under the key it was stored from is a duplicate; the stored item is kept', async () => {
    const key = 'dup/same-key.json'
    const first = await t.upload(key, record('Jamie xx', 'Gosh'))
    await t.pipeline.idle()
    const second = await t.upload(key, record('Jamie xx', 'Gosh', {Duration: 299}))
    await t.pipeline.idle()

    const item = await t.item('Jamie xx', 'TRACK#Gosh')
    expect(item).toMatchObject({Duration: {N: '200'}, [ITEM_METADATA.sourceEtag]: {S: first}})
    const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))
    expect((await t.quarantined(entry)).metadata).toMatchObject({
      [QUARANTINE_METADATA.reason]: 'duplicate',
      [QUARANTINE_METADATA.sourceEtag]: second,
    })
    expect(notificationsFor(key)).toEqual([
      expect.objectContaining({outcome: 'stored', etag: first}),
      expect.objectContaining({outcome: 'quarantined', reason: 'duplicate', etag: second, quarantineKey: entry}),
    ])
  })

  test('two objects with one record uploaded at once: one stored, the other unchanged, nothing quarantined', async () => {
    const body = record('Madeon', 'Love You Back')
    await Promise.all([t.upload('race/a.json', body), t.upload('race/b.json', body)])
    await t.pipeline.idle()

    const item = await t.item('Madeon', 'TRACK#Love You Back')
    const winner = item![ITEM_METADATA.sourceKey].S!
    const other = winner === 'race/a.json' ? 'race/b.json' : 'race/a.json'
    expect(['race/a.json', 'race/b.json']).toContain(winner)
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('race/'))).toEqual([])
    expect(notificationsFor(winner).map((n) => n.outcome)).toEqual(['stored'])
    expect(notificationsFor(other).map((n) => n.outcome)).toEqual(['unchanged'])
  })

  test('identical bytes sent twice under one key are one upload: one quarantine entry', async () => {
    const body = '{"ArtistID": oops}'
    await t.upload('again.json', body)
    await t.pipeline.idle()
    await t.upload('again.json', body)
    await t.pipeline.idle()
    const entries = (await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('again.json/'))
    expect(entries).toHaveLength(1)
    expect(notificationsFor('again.json').map((n) => n.quarantineKey)).toEqual([entries[0], entries[0]])
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  })

  test('identical valid bytes sent twice under one key are one upload: stored once, nothing else recorded', async () => {
    const key = 'again/stored.json'
    const etag = await t.upload(key, record('Bicep', 'Glue'))
    await t.pipeline.idle()
    expect(await t.upload(key, record('Bicep', 'Glue'))).toBe(etag)
    await t.pipeline.idle()
    expect((await t.item('Bicep', 'TRACK#Glue'))![ITEM_METADATA.sourceEtag]).toEqual({S: etag})
    expect(await t.outcome(key, etag)).toBeUndefined()
    expect(notificationsFor(key).map((n) => n.outcome)).toEqual(['stored', 'stored'])
    expect(t.logs.filter((line) => line.key === key).map((line) => line.alreadyStored)).toEqual([false, true])
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  })
})

describe('re-sent records', () => {
  const plain = {ArtistID: 'Daft Punk', ItemID: 'TRACK#Veridis Quo', EntityType: 'Track', Duration: 345}
  const typed = (duration: string) => ({
    ArtistID: {S: 'Daft Punk'},
    ItemID: {S: 'TRACK#Veridis Quo'},
    EntityType: {S: 'Track'},
    Duration: {N: duration},
  })
  const item = {ArtistID: 'Daft Punk', ItemID: 'TRACK#Veridis Quo'}

  beforeAll(async () => {
    await t.upload('resent/original.json', JSON.stringify(plain))
    await t.pipeline.idle()
  })

  test.each([
    ['under a new key, plain and identical', 'resent/copy.json', JSON.stringify(plain)],
    ['under a new key, typed', 'resent/typed.json', JSON.stringify(typed('345'))],
    [
      'under the same key, typed, the number written with a leading zero',
      'resent/original.json',
      JSON.stringify(typed('0345')),
    ],
    ['under the same key, plain, laid out differently', 'resent/original.json', JSON.stringify(plain, null, 2)],
  ])('the same record %s is unchanged: recorded, notified, removed, nothing quarantined', async (_, key, body) => {
    const before = Date.now()
    const etag = await t.upload(key, body)
    await t.pipeline.idle()

    const outcome = await t.outcome(key, etag)
    expect(outcome).toMatchObject({
      [OUTCOMES_TABLE.attributes.outcome]: {S: 'unchanged'},
      [OUTCOMES_TABLE.attributes.artistId]: {S: item.ArtistID},
      [OUTCOMES_TABLE.attributes.itemId]: {S: item.ItemID},
    })
    expect(Date.parse(outcome![OUTCOMES_TABLE.attributes.at].S!)).toBeGreaterThanOrEqual(before - 1000)
    const expiresAt = Number(outcome![OUTCOMES_TABLE.attributes.expiresAt].N)
    expect(expiresAt - Date.now() / 1000).toBeGreaterThan(OUTCOMES_TABLE.retentionSeconds - 60)
    expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(OUTCOMES_TABLE.retentionSeconds)

    expect((await t.item(item.ArtistID, item.ItemID))![ITEM_METADATA.sourceKey]).toEqual({S: 'resent/original.json'})
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('resent/'))).toEqual([])
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
    expect(t.notifications.filter((n) => n.etag === etag && n.sourceKey === key)).toEqual([
      expect.objectContaining({
        outcome: 'unchanged',
        sourceKey: key,
        item,
        message: expect.stringContaining('resent/original.json'),
      }),
    ])
    expect(t.logs).toContainEqual(expect.objectContaining({level: 'info', key, outcome: 'unchanged', item}))
  })

  test('changed content under the same ArtistID and ItemID stays a duplicate, and records no outcome', async () => {
    const etag = await t.upload('resent/changed.json', JSON.stringify(typed('346')))
    await t.pipeline.idle()
    expect(notificationsFor('resent/changed.json')).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'duplicate', item}),
    ])
    expect(await t.outcome('resent/changed.json', etag)).toBeUndefined()
  })

  test('the local pipeline counts unchanged uploads', async () => {
    const before = t.pipeline.stats().unchanged
    await t.upload('resent/counted.json', JSON.stringify(plain))
    await t.pipeline.idle()
    expect(t.pipeline.stats().unchanged).toBe(before + 1)
  })
})

describe('redelivery and retries', () => {
  const bucket = 'direct-delivery'
  // A handler of our own on a bucket the pipeline does not watch, so each test delivers events itself.
  const direct = () => directHandlerDeps(t.pipeline, bucket)
  const put = async (key: string, body: string, metadata?: Record<string, string>) => {
    const {ETag} = await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: bucket, Key: key, Body: body, Metadata: metadata}),
    )
    return ETag!.replaceAll('"', '')
  }
  const eventFor = (key: string, etag: string, sequencer = '0000000000AA000001') =>
    objectCreatedEvent({bucket, key, size: 10, etag, sequencer, region: 'us-east-1'})

  beforeAll(async () => {
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  })

  test('the same event delivered twice: one item, no false duplicate, even after a failure between store and delete', async () => {
    const published: Notification[] = []
    let failDelete = true
    const failingS3 = s3FailingOn(t.pipeline.s3, 'DeleteObjectCommand', () => failDelete)
    const handler = createObjectHandler({
      ...direct(),
      s3: failingS3,
      notifier: {publish: async (n) => void published.push(n)},
    })

    const key = 'redelivered one+two.json'
    const event = eventFor(key, await put(key, record('Porter Robinson', 'Cheerleader')))

    await expect(handler(event)).rejects.toThrow('injected')
    expect(await t.item('Porter Robinson', 'TRACK#Cheerleader')).toBeDefined()
    failDelete = false
    expect(await handler(event)).toEqual([expect.objectContaining({outcome: 'stored', alreadyStored: true})])
    // Delivered once more after it was fully handled (notified, then removed): nothing to do, nothing to say.
    expect(await handler(event)).toEqual([{outcome: 'skipped', key, why: 'gone'}])

    expect(await t.keys(bucket)).toEqual([])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('redelivered'))).toEqual([])
    expect(published.map((n) => n.outcome)).toEqual(['stored', 'stored'])
  })

  test('where DynamoDB does not return the conflicting item, a GetItem decides same upload, unchanged or duplicate', async () => {
    const {s3, dynamodb} = localClients(t.pipeline.state)
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
    const handler = createObjectHandler({...direct(), s3, dynamodb})
    const deliver = async (key: string, extra?: Record<string, unknown>) =>
      eventFor(key, await put(key, record('Fred again..', 'Delilah', extra)))

    const first = await deliver('fallback/first.json')
    expect(await handler(first)).toEqual([expect.objectContaining({outcome: 'stored'})])
    expect(await handler(first)).toEqual([expect.objectContaining({outcome: 'skipped'})])
    await put('fallback/first.json', record('Fred again..', 'Delilah'))
    expect(await handler(first)).toEqual([expect.objectContaining({outcome: 'stored', alreadyStored: true})])
    const same = await deliver('fallback/same.json')
    expect(await handler(same)).toEqual([expect.objectContaining({outcome: 'unchanged'})])
    const changed = await deliver('fallback/changed.json', {Duration: 201})
    expect(await handler(changed)).toEqual([expect.objectContaining({outcome: 'quarantined', reason: 'duplicate'})])
    const conflict = ['PutItemCommand', 'GetItemCommand']
    expect(calls).toEqual(['PutItemCommand', ...conflict, ...conflict, 'PutItemCommand', ...conflict])
    s3.destroy()
    dynamodb.destroy()
  })

  test.each([
    {outcome: 'stored', body: record('Ross From Friends', 'Talk To Me You’ll Understand')},
    {outcome: 'quarantined', body: '{"ArtistID": '},
    {outcome: 'unchanged', body: record('Ross From Friends', 'Pale Blue Dot')},
    {outcome: 'batch', body: [record('Ross From Friends', 'Aphelion'), '{'].join('\n')},
  ])(
    'a $outcome upload whose notification failed, then replaced before the retry, is announced by the retry',
    async ({outcome, body}) => {
      // `unchanged`: the same record is stored already, from another upload.
      if (outcome === 'unchanged') {
        const first = 'first/pale-blue-dot.json'
        await createObjectHandler(direct())(eventFor(first, await put(first, body)))
      }
      const key = `announced/${outcome}.${outcome === 'batch' ? 'ndjson' : 'json'}`
      const published: Notification[] = []
      let failPublish = true
      const handler = createObjectHandler({
        ...direct(),
        notifier: {
          publish: async (n) => {
            if (failPublish) throw Object.assign(new Error('injected'), {name: 'InternalError'})
            published.push(n)
          },
        },
      })
      const etag = await put(key, body)
      await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
      failPublish = false
      const newer = await put(key, record('Ross From Friends', `Epiphany ${outcome}`))

      expect(await handler(eventFor(key, etag))).toEqual([
        expect.objectContaining({outcome: 'skipped', why: 'superseded', announced: outcome}),
      ])
      expect(published.map((n) => [n.outcome, n.sourceKey, n.etag])).toEqual([[outcome, key, etag]])
      // The newer upload is untouched, for its own event.
      expect(await handler(eventFor(key, newer))).toEqual([
        expect.objectContaining({outcome: outcome === 'batch' ? 'batch' : 'stored'}),
      ])
    },
  )

  test('a replacement whose notification failed, then superseded before the retry, is announced as replaced', async () => {
    const first = 'first/epilogue.json'
    await createObjectHandler(direct())(eventFor(first, await put(first, record('Ross From Friends', 'Epilogue'))))
    const published: Notification[] = []
    let failPublish = true
    const handler = createObjectHandler({
      ...direct(),
      notifier: {
        publish: async (n) => {
          if (failPublish) throw Object.assign(new Error('injected'), {name: 'InternalError'})
          published.push(n)
        },
      },
    })
    const key = 'replace/announced/epilogue.json'
    const etag = await put(key, record('Ross From Friends', 'Epilogue', {Duration: 321}))
    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    failPublish = false
    const newer = await put(key, record('Ross From Friends', 'Epilogue', {Duration: 322}))

    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'skipped', why: 'superseded', announced: 'replaced'}),
    ])
    expect(published.map((n) => [n.outcome, n.sourceKey, n.etag])).toEqual([['replaced', key, etag]])
    // The newer upload, for its own event, replaces again.
    expect(await handler(eventFor(key, newer))).toEqual([expect.objectContaining({outcome: 'replaced'})])
  })

  test('an event for an upload that a newer one replaced is skipped; the newer one is processed', async () => {
    // The processing bucket refuses such a replacement (conditional writes only): a bucket without that rule shows the
    // processor's own guard, for a writer that gets past it.
    const handler = createObjectHandler(direct())
    const older = await put('replaced.json', record('Skrillex', 'Rumble'))
    const newer = await put('replaced.json', record('Skrillex', 'Ratata'))
    expect(await handler(eventFor('replaced.json', older))).toEqual([
      expect.objectContaining({outcome: 'skipped', why: 'superseded'}),
    ])
    expect(await handler(eventFor('replaced.json', newer))).toEqual([expect.objectContaining({outcome: 'stored'})])
    expect(await t.item('Skrillex', 'TRACK#Ratata')).toBeDefined()
    expect(await t.item('Skrillex', 'TRACK#Rumble')).toBeUndefined()
    expect(await t.keys(bucket)).toEqual([])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith('replaced.json'))).toEqual([])
  })

  test('a newer upload landing between the read and the delete survives for its own event', async () => {
    const key = 'raced/newer.json'
    let newer: string | undefined
    const racingS3 = s3Before(t.pipeline.s3, 'DeleteObjectCommand', async () => {
      newer ??= await put(key, record('Overmono', 'Good Lies', {Duration: 999}))
    })
    const handler = createObjectHandler({...direct(), s3: racingS3})
    expect(await handler(eventFor(key, await put(key, record('Overmono', 'So U Kno'))))).toEqual([
      expect.objectContaining({outcome: 'stored'}),
    ])
    expect(await t.keys(bucket)).toEqual([key])
    const {ETag} = await t.pipeline.s3.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
    expect(ETag).toBe(`"${newer}"`)
    expect(await handler(eventFor(key, newer!))).toEqual([expect.objectContaining({outcome: 'stored'})])
    expect(await t.keys(bucket)).toEqual([])
  })

  test('an oversized upload replaced before its copy is skipped as superseded, never quarantined with the newer bytes', async () => {
    const key = 'raced/oversized.json'
    let newer: string | undefined
    const racingS3 = s3Before(t.pipeline.s3, 'CopyObjectCommand', async () => {
      newer ??= await put(key, record('Overmono', 'Calling Out'))
    })
    const handler = createObjectHandler({...direct(), s3: racingS3})
    const etag = await put(key, ' '.repeat(MAX_OBJECT_BYTES + 1))
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'skipped', why: 'superseded'}),
    ])
    expect((await t.keys(t.pipeline.state.quarantineBucket)).filter((k) => k.startsWith(`${key}/`))).toEqual([])
    expect(await handler(eventFor(key, newer!))).toEqual([expect.objectContaining({outcome: 'stored'})])
    expect(await t.keys(bucket)).toEqual([])
  })

  test('an oversized upload whose copy an earlier try made is finished on retry: notified, then removed', async () => {
    const key = 'retried/oversized.json'
    const published: Notification[] = []
    let failDelete = true
    const failingS3 = s3FailingOn(t.pipeline.s3, 'DeleteObjectCommand', () => failDelete)
    const handler = createObjectHandler({
      ...direct(),
      s3: failingS3,
      notifier: {publish: async (n) => void published.push(n)},
    })
    const etag = await put(key, ' '.repeat(MAX_OBJECT_BYTES + 1))
    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    failDelete = false
    const entry = quarantineKey(key, {etag})
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'too-large', quarantineKey: entry}),
    ])
    expect(published.map((n) => [n.outcome, n.etag, n.quarantineKey])).toEqual([
      ['quarantined', etag, entry],
      ['quarantined', etag, entry],
    ])
    expect(await t.keys(bucket)).toEqual([])
  })

  test('a released upload is quarantined anew only once the release removed its old entry, never into it', async () => {
    // `quarantine release` puts the same bytes back (same ETag, so the same entry id), then deletes the entry.
    const key = 'released/broken.json'
    const body = '{"ArtistID": '
    const etag = await put(key, body, {[QUARANTINE_METADATA.releaseId]: 'release-1'})
    const entry = quarantineKey(key, {etag})
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry, Body: body}))
    const handler = createObjectHandler(direct())

    // Processed before the release removed the entry: retried, never finished into the entry about to be deleted.
    await expect(handler(eventFor(key, etag))).rejects.toMatchObject({$retryable: {}})
    expect(await t.keys(bucket)).toEqual([key])

    await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}))
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'invalid-json', quarantineKey: entry}),
    ])
    expect((await t.quarantined(entry)).metadata[QUARANTINE_METADATA.releaseId]).toBe('release-1')
    expect(await t.keys(bucket)).toEqual([])

    // A retry of that upload finds its own entry and finishes.
    await put(key, body, {[QUARANTINE_METADATA.releaseId]: 'release-1'})
    expect(await handler(eventFor(key, etag))).toEqual([expect.objectContaining({outcome: 'quarantined'})])
    expect(await t.keys(bucket)).toEqual([])
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
