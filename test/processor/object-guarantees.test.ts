import {gzipSync} from 'node:zlib'

import {DeleteItemCommand, PutItemCommand} from '@aws-sdk/client-dynamodb'
import {DeleteObjectCommand, GetObjectTaggingCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {MAX_BATCH_OBJECT_BYTES, MAX_OBJECT_BYTES} from '#contract/limits.js'
import {
  decodeMetadataValue,
  ITEM_METADATA,
  QUARANTINE_METADATA,
  QUARANTINE_TAGS,
  quarantineKey,
} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {objectCreatedEvent} from '#local/events.js'
import {createObjectHandler, type HandlerDeps} from '#processor/handler.js'
import type {Notification} from '#processor/notifier.js'
import {
  directHandlerDeps,
  startTestPipeline,
  stopTestPipeline,
  type TestPipeline,
  trackRecord as record,
} from './helpers.js'

// What one upload comes to when a step fails, when DynamoDB or S3 answer unusually, and what its notification and
// quarantine entry say: a handler of our own on a bucket the local pipeline does not watch, each test delivering the
// events itself, with failures injected at the SDK boundary of the real emulators.

const bucket = 'object-guarantees'
let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline({unwatchedBucket: bucket})
})

afterAll(() => stopTestPipeline(t))

const put = (key: string, body: string | Uint8Array, metadata?: Record<string, string>) =>
  t.upload(key, body, bucket, metadata)

const eventFor = (key: string, etag: string, size = 10) =>
  objectCreatedEvent({bucket, key, size, etag, sequencer: '0000000000AA000001', region: 'us-east-1'})

/** The event as implementations that do not URL-encode keys send it. */
function rawEventFor(key: string, etag: string) {
  const event = eventFor(key, etag)
  return {...event, detail: {...event.detail, object: {...event.detail.object, key}}}
}

type Command = {constructor: {name: string}; input: Record<string, unknown>}

/** `client`, each command it sends going through `handle` (which may fail it, or change the request or the answer). */
function around<C extends object>(
  client: C,
  handle: (name: string, input: Record<string, unknown>, send: () => Promise<unknown>) => Promise<unknown>,
): C {
  const send = (client as unknown as {send: (command: Command) => Promise<unknown>}).send.bind(client)
  return Object.create(client, {
    send: {value: (command: Command) => handle(command.constructor.name, command.input, () => send(command))},
  })
}

const s3Error = () => Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})

/** The pipeline's S3, failing `commandName` on the quarantine bucket while `failing()` holds. */
const quarantineFailing = (commandName: string, failing: () => boolean) =>
  around(t.pipeline.s3, async (name, input, send) => {
    if (name === commandName && input.Bucket === t.pipeline.state.quarantineBucket && failing()) throw s3Error()
    return send()
  })

function handlerWith(deps: Partial<HandlerDeps> = {}) {
  const published: Notification[] = []
  const handler = createObjectHandler({
    ...directHandlerDeps(t.pipeline, bucket),
    notifier: {publish: async (n) => void published.push(n)},
    ...deps,
  })
  return {handler, published}
}

const entriesOf = async (key: string) =>
  (await t.keys(t.pipeline.state.quarantineBucket)).filter((entry) => entry.startsWith(`${key}/`))

describe('a failed step fails the try, and the retry finishes the upload', () => {
  test('a quarantine entry that cannot be written: thrown, the original kept, nothing notified', async () => {
    let failing = true
    const {handler, published} = handlerWith({s3: quarantineFailing('PutObjectCommand', () => failing)})
    const key = 'failing/entry-write.json'
    const etag = await put(key, '{"ArtistID": ')

    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    expect(await t.keys(bucket)).toContain(key)
    expect(await entriesOf(key)).toEqual([])
    expect(published).toEqual([])

    failing = false
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({
        outcome: 'quarantined',
        reason: 'invalid-json',
        quarantineKey: quarantineKey(key, {etag}),
      }),
    ])
    expect(await entriesOf(key)).toEqual([quarantineKey(key, {etag})])
    expect(published.map((n) => n.outcome)).toEqual(['quarantined'])
    expect(await t.keys(bucket)).not.toContain(key)
  })

  test('an oversized upload whose copy fails: thrown, the original kept, nothing notified', async () => {
    const {handler, published} = handlerWith({s3: quarantineFailing('CopyObjectCommand', () => true)})
    const key = 'failing/copy.json'
    const etag = await put(key, ' '.repeat(MAX_OBJECT_BYTES + 1))
    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    expect(await t.keys(bucket)).toContain(key)
    expect(await entriesOf(key)).toEqual([])
    expect(published).toEqual([])
  })

  test('an entry that cannot be looked at after a refused copy: thrown, never taken for a replaced upload', async () => {
    const key = 'failing/entry-head.json'
    const etag = await put(key, ' '.repeat(MAX_OBJECT_BYTES + 1))
    // An earlier try copied the entry, then failed before removing the original.
    const first = handlerWith({
      s3: around(t.pipeline.s3, async (name, _input, send) => {
        if (name === 'DeleteObjectCommand') throw s3Error()
        return send()
      }),
    })
    await expect(first.handler(eventFor(key, etag))).rejects.toThrow('injected')
    expect(await entriesOf(key)).toEqual([quarantineKey(key, {etag})])

    const {handler, published} = handlerWith({s3: quarantineFailing('HeadObjectCommand', () => true)})
    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    expect(await t.keys(bucket)).toContain(key)
    expect(published).toEqual([])
  })

  test('an oversized upload removed before its copy is skipped as gone: nothing quarantined or notified', async () => {
    const key = 'failing/removed.json'
    const etag = await put(key, ' '.repeat(MAX_OBJECT_BYTES + 1))
    const {handler, published} = handlerWith({
      s3: around(t.pipeline.s3, async (name, _input, send) => {
        if (name === 'CopyObjectCommand') await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: key}))
        return send()
      }),
    })
    expect(await handler(eventFor(key, etag))).toEqual([{outcome: 'skipped', key, why: 'gone'}])
    expect(await entriesOf(key)).toEqual([])
    expect(published).toEqual([])
  })
})

describe('a released upload and the entry it came from', () => {
  const release = {[QUARANTINE_METADATA.releaseId]: 'release-7'}

  test('whose old entry goes while the processor looks at it: retried, then quarantined anew', async () => {
    const key = 'released/vanishing.json'
    const body = '{"ArtistID": '
    const etag = await put(key, body, release)
    const entry = quarantineKey(key, {etag})
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry, Body: body}))
    // The release removes its entry between the refused write and the look at the entry.
    const {handler} = handlerWith({
      s3: around(t.pipeline.s3, async (name, input, send) => {
        if (name === 'HeadObjectCommand' && input.Key === entry)
          await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}))
        return send()
      }),
    })
    await expect(handler(eventFor(key, etag))).rejects.toMatchObject({
      $retryable: {},
      message: `${key} was released from quarantine, and its entry is not removed yet; retrying`,
    })
    expect(await t.keys(bucket)).toContain(key)
    expect(await handler(eventFor(key, etag))).toEqual([expect.objectContaining({outcome: 'quarantined'})])
    expect((await t.quarantined(entry)).metadata[QUARANTINE_METADATA.releaseId]).toBe('release-7')
  })

  test('oversized: never copied into the old entry; once it is removed, copied with its reason and tags', async () => {
    const key = 'released/oversized.json'
    const body = ' '.repeat(MAX_OBJECT_BYTES + 1)
    const etag = await put(key, body, release)
    const entry = quarantineKey(key, {etag})
    await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry, Body: body, Metadata: {old: 'yes'}}),
    )
    const {handler, published} = handlerWith()
    await expect(handler(eventFor(key, etag))).rejects.toMatchObject({$retryable: {}})
    expect((await t.quarantined(entry)).metadata).toEqual({old: 'yes'})
    expect(await t.keys(bucket)).toContain(key)
    expect(published).toEqual([])

    await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}))
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'too-large', quarantineKey: entry}),
    ])
    const {metadata} = await t.quarantined(entry)
    expect(metadata[QUARANTINE_METADATA.releaseId]).toBe('release-7')
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(
      `the object is ${MAX_OBJECT_BYTES + 1} bytes; the limit is ${MAX_OBJECT_BYTES} bytes (1 MiB)`,
    )
    const {TagSet = []} = await t.pipeline.s3.send(
      new GetObjectTaggingCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}),
    )
    expect(TagSet).toContainEqual({Key: QUARANTINE_TAGS.reason, Value: 'too-large'})
    expect(TagSet).toContainEqual({Key: QUARANTINE_TAGS.sourceEtag, Value: etag})

    // The same bytes sent again later, not by a release: they finish into the entry that holds them.
    await put(key, body)
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'too-large', quarantineKey: entry}),
    ])
    expect(await t.keys(bucket)).not.toContain(key)
  })
})

describe('an object S3 will not let the processor read', () => {
  for (const [code, status] of [
    ['AccessDenied', 403],
    ['InvalidObjectState', 403],
    ['InvalidRequest', 400],
  ] as const)
    test(`(${code}) is quarantined as unreadable, with an empty entry, not retried`, async () => {
      const key = `unreadable/${code}.json`
      const etag = await put(key, JSON.stringify(record('Knock2', 'Locked')))
      const {handler, published} = handlerWith({
        s3: around(t.pipeline.s3, async (name, input, send) => {
          if (name === 'GetObjectCommand' && input.Bucket === bucket)
            throw Object.assign(new Error('refused'), {name: code, $metadata: {httpStatusCode: status}})
          return send()
        }),
      })

      expect(await handler(eventFor(key, etag))).toEqual([
        expect.objectContaining({
          outcome: 'quarantined',
          reason: 'unreadable',
          quarantineKey: quarantineKey(key, {etag}),
        }),
      ])
      const entry = await t.quarantined(quarantineKey(key, {etag}))
      expect(entry.metadata[QUARANTINE_METADATA.reason]).toBe('unreadable')
      expect(decodeMetadataValue(entry.metadata[QUARANTINE_METADATA.message])).toContain(`(${code})`)
      expect(published.map((n) => [n.outcome, n.reason])).toEqual([['quarantined', 'unreadable']])
      expect(await t.keys(bucket)).not.toContain(key)
    })
})

describe('a forged ep-release-id', () => {
  test('makes an upload wait for a release only within minutes of its upload, then it is quarantined as usual', async () => {
    const key = 'forged/release.json'
    const body = '{"ArtistID": '
    const first = await put(key, body)
    await handlerWith().handler(eventFor(key, first))
    // The same bytes again (so the same entry), claiming a release that never happened.
    const etag = await put(key, body, {[QUARANTINE_METADATA.releaseId]: 'forged'})
    await expect(handlerWith().handler(eventFor(key, etag))).rejects.toMatchObject({$retryable: {}})

    const later = new Date(Date.now() + 11 * 60 * 1000)
    const {handler} = handlerWith({now: () => later})
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'invalid-json'}),
    ])
    expect(await t.keys(bucket)).not.toContain(key)
  })
})

describe('DynamoDB answers', () => {
  /** The pipeline's DynamoDB, with `fail` deciding per request to the catalog table whether it fails, and how. */
  const dynamodbFailing = (fail: (name: string) => Error | undefined) =>
    around(t.pipeline.dynamodb, async (name, input, send) => {
      const error = input.TableName === t.pipeline.state.table ? fail(name) : undefined
      if (error) throw error
      return send()
    })
  const dynamoError = (name: string, message: string, status = 400) =>
    Object.assign(new Error(message), {name, $metadata: {httpStatusCode: status}})

  test('an item DynamoDB refuses as too large is quarantined as too-large, saying so', async () => {
    const {handler, published} = handlerWith({
      dynamodb: dynamodbFailing((name) =>
        name === 'PutItemCommand'
          ? dynamoError('ValidationException', 'Item size has exceeded the maximum allowed size')
          : undefined,
      ),
    })
    const key = 'dynamodb/too-large.json'
    const etag = await put(key, record('Huge', 'Item'))
    const entry = quarantineKey(key, {etag})
    const message = 'DynamoDB refused the item as too large: Item size has exceeded the maximum allowed size'
    expect(await handler(eventFor(key, etag))).toEqual([
      {outcome: 'quarantined', key, reason: 'too-large', message, quarantineKey: entry, item: undefined},
    ])
    const {metadata} = await t.quarantined(entry)
    expect(metadata[QUARANTINE_METADATA.reason]).toBe('too-large')
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(message)
    expect(published).toEqual([
      expect.objectContaining({
        outcome: 'quarantined',
        reason: 'too-large',
        subject: 'EventPulse: quarantined (too-large)',
        message: `${key} was quarantined (too-large): ${message}`,
      }),
    ])
    expect(await t.keys(bucket)).not.toContain(key)
  })

  test.each([
    [
      'another ValidationException',
      () => dynamoError('ValidationException', 'One or more parameter values were invalid'),
    ],
    ['a 500', () => dynamoError('InternalServerError', 'injected item size trouble', 500)],
  ])('%s from the put is thrown: nothing stored, quarantined or notified', async (_name, error) => {
    const {handler, published} = handlerWith({
      dynamodb: dynamodbFailing((name) => (name === 'PutItemCommand' ? error() : undefined)),
    })
    const key = `dynamodb/${_name}.json`
    const etag = await put(key, record('Refused', _name))
    await expect(handler(eventFor(key, etag))).rejects.toThrow(error().message)
    expect(await t.keys(bucket)).toContain(key)
    expect(await entriesOf(key)).toEqual([])
    expect(published).toEqual([])
  })

  test('a conflicting item gone before it could be read: retried, then stored', async () => {
    const itemKey = {ArtistID: {S: 'Vanishing'}, ItemID: {S: 'TRACK#Act'}}
    await t.pipeline.dynamodb.send(
      new PutItemCommand({TableName: t.pipeline.state.table, Item: {...itemKey, EntityType: {S: 'Track'}}}),
    )
    const dynamodb = around(t.pipeline.dynamodb, async (name, input, send) => {
      if (input.TableName !== t.pipeline.state.table) return send()
      if (name === 'GetItemCommand')
        await t.pipeline.dynamodb.send(new DeleteItemCommand({TableName: t.pipeline.state.table, Key: itemKey}))
      try {
        return await send()
      } catch (error) {
        delete (error as {Item?: unknown}).Item
        throw error
      }
    })
    const {handler} = handlerWith({dynamodb})
    const key = 'dynamodb/vanishing.json'
    const etag = await put(key, record('Vanishing', 'Act'))
    await expect(handler(eventFor(key, etag))).rejects.toMatchObject({
      $retryable: {},
      message: 'item {"ArtistID":"Vanishing","ItemID":"TRACK#Act"} changed during the conditional put; retrying',
    })
    expect(await handler(eventFor(key, etag))).toEqual([expect.objectContaining({outcome: 'stored'})])
  })

  test('stored items, and outcome records, are read consistently', async () => {
    const reads: Record<string, unknown>[] = []
    const dynamodb = around(t.pipeline.dynamodb, async (name, input, send) => {
      if (name === 'GetItemCommand') reads.push(input)
      return send()
    })
    const key = 'dynamodb/consistent.json'
    await createObjectHandler(directHandlerDeps(t.pipeline, bucket))(
      eventFor('dynamodb/consistent-first.json', await put('dynamodb/consistent-first.json', record('Read', 'It'))),
    )
    // Without the item in the conflict (as dynalite unpatched): read back. Then replaced: its earlier outcome looked up.
    const forgetful = around(dynamodb, async (_name, _input, send) => {
      try {
        return await send()
      } catch (error) {
        delete (error as {Item?: unknown}).Item
        throw error
      }
    })
    const {handler} = handlerWith({dynamodb: forgetful})
    const etag = await put(key, record('Read', 'It', {Duration: 1}))
    await handler(eventFor(key, etag))
    await put('dynamodb/replaced.json', record('Read', 'Again'))
    await handler(eventFor('dynamodb/replaced.json', 'not-this-upload'))
    expect(new Set(reads.map((input) => input.TableName))).toEqual(
      new Set([t.pipeline.state.table, t.pipeline.state.outcomesTable]),
    )
    expect(reads.filter((input) => input.ConsistentRead !== true)).toEqual([])
  })
})

describe('what notifications and entries say', () => {
  test('stored and unchanged: subject and message name the item', async () => {
    const {handler, published} = handlerWith()
    const first = 'said/first.json'
    await handler(eventFor(first, await put(first, record('Bicep', 'Glue'))))
    const again = 'said/again.json'
    await handler(eventFor(again, await put(again, record('Bicep', 'Glue'))))
    expect(published.map(({subject, message, item}) => ({subject, message, item}))).toEqual([
      {
        subject: 'EventPulse: stored Bicep / TRACK#Glue',
        message: `${first} was stored as ArtistID "Bicep", ItemID "TRACK#Glue".`,
        item: {ArtistID: 'Bicep', ItemID: 'TRACK#Glue'},
      },
      {
        subject: 'EventPulse: unchanged Bicep / TRACK#Glue',
        message: `${again} was not stored again: ArtistID "Bicep", ItemID "TRACK#Glue" is already stored (from ${first}) with the same content.`,
        item: {ArtistID: 'Bicep', ItemID: 'TRACK#Glue'},
      },
    ])
  })

  test('a duplicate names where the stored item came from: its key, and its line in a batch', async () => {
    const {handler, published} = handlerWith()
    const batch = 'said/catalog.ndjson'
    await handler(eventFor(batch, await put(batch, [record('Floating Points', 'Vocoder'), ''].join('\n'))))
    await handler(eventFor(batch, await put(batch, ['', record('Floating Points', 'Silurian Blue')].join('\n'))))
    // An item not written by the pipeline has no source to name.
    await t.pipeline.dynamodb.send(
      new PutItemCommand({
        TableName: t.pipeline.state.table,
        Item: {ArtistID: {S: 'Floating Points'}, ItemID: {S: 'TRACK#Elaenia'}, EntityType: {S: 'Track'}},
      }),
    )
    const cases = [
      ['Vocoder', ` (from ${batch}, line 1)`],
      ['Silurian Blue', ` (from ${batch}, line 2)`],
      ['Elaenia', ''],
    ]
    for (const [title, source] of cases) {
      const key = `said/dup-${title}.json`
      await handler(eventFor(key, await put(key, record('Floating Points', title, {Duration: 9}))))
      expect(published.at(-1)).toMatchObject({
        outcome: 'quarantined',
        reason: 'duplicate',
        message: `${key} was quarantined (duplicate): ArtistID "Floating Points", ItemID "TRACK#${title}" is already stored${source}`,
      })
    }
  })

  test.each([
    ['ASCII', 'A'.repeat(400), 299],
    ['ending in emoji', `${'A'.repeat(280)}${'🎵'.repeat(10)}`, 298],
  ])(
    'a long message (%s) is cut to 300 characters in the entry, never through a character',
    async (name, artist, kept) => {
      const {handler} = handlerWith()
      const first = `said/long-${name}-first.json`
      await handler(eventFor(first, await put(first, record(artist, 'Long'))))
      const key = `said/long-${name}.json`
      const etag = await put(key, record(artist, 'Long', {Duration: 9}))
      await handler(eventFor(key, etag))
      const full = `ArtistID "${artist}", ItemID "TRACK#Long" is already stored (from ${first})`
      const {metadata} = await t.quarantined(quarantineKey(key, {etag}))
      expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(`${full.slice(0, kept)}…`)
    },
  )

  test.each([
    ['accented', 'é'.repeat(500)],
    ['emoji', '🎵'.repeat(300)],
  ])('a message of %s text is cut to fit S3 metadata, never through a character', async (name, artist) => {
    const {handler} = handlerWith()
    const first = `said/${name}-first.json`
    await handler(eventFor(first, await put(first, record(artist, name))))
    // A long key leaves less room for the message.
    const key = `said/${name}/${'k'.repeat(150)}/${'k'.repeat(150)}.json`
    const etag = await put(key, record(artist, name, {Duration: 9}))
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'duplicate'}),
    ])
    const {metadata} = await t.quarantined(quarantineKey(key, {etag}))
    const bytes = Object.entries(metadata).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0)
    expect(bytes).toBeLessThan(2048)
    const message = decodeMetadataValue(metadata[QUARANTINE_METADATA.message])
    expect(message).toMatch(/…$/)
    const kept = message.replace(/…+$/, '')
    expect(kept.length).toBeGreaterThan(100)
    expect(`ArtistID "${artist}"`.startsWith(kept)).toBe(true)
  })
})

describe('keys as events give them, and uploads replaced after an earlier try', () => {
  /** An upload handled up to its notification, which failed; then replaced before the retry. */
  async function handledThenReplaced(key: string, body: string) {
    let failPublish = true
    const published: Notification[] = []
    const {handler} = handlerWith({
      notifier: {
        publish: async (n) => {
          if (failPublish) throw Object.assign(new Error('injected'), {name: 'InternalError'})
          published.push(n)
        },
      },
    })
    const etag = await put(key, body)
    await expect(handler(rawEventFor(key, etag))).rejects.toThrow('injected')
    failPublish = false
    await put(key, record('Replacement', key))
    return {handler, published, etag}
  }

  test.each(['plain.json', 'raw/p+q.json'])(
    'an upload (%s) stored by an earlier try, then replaced: the retry announces it under its own key',
    async (key) => {
      const {handler, published, etag} = await handledThenReplaced(key, record('Caribou', key))
      expect(await handler(rawEventFor(key, etag))).toEqual([
        {outcome: 'skipped', key, why: 'superseded', announced: 'stored'},
      ])
      expect(published.map((n) => [n.outcome, n.sourceKey, n.etag, n.item])).toEqual([
        ['stored', key, etag, {ArtistID: 'Caribou', ItemID: `TRACK#${key}`}],
      ])
    },
  )

  test('announced again: an unchanged upload names the item, a quarantined one its reason', async () => {
    const first = 'announce/first.json'
    await handlerWith().handler(eventFor(first, await put(first, record('Four Tet', 'Baby'))))
    const unchanged = await handledThenReplaced('announce/unchanged.json', record('Four Tet', 'Baby'))
    expect(await unchanged.handler(rawEventFor('announce/unchanged.json', unchanged.etag))).toEqual([
      expect.objectContaining({announced: 'unchanged'}),
    ])
    expect(unchanged.published).toEqual([
      expect.objectContaining({
        outcome: 'unchanged',
        subject: 'EventPulse: unchanged Four Tet / TRACK#Baby',
        message:
          'announce/unchanged.json was not stored again: ArtistID "Four Tet", ItemID "TRACK#Baby" is already stored with the same content.',
        item: {ArtistID: 'Four Tet', ItemID: 'TRACK#Baby'},
      }),
    ])
    const quarantined = await handledThenReplaced('announce/broken.json', '{"ArtistID": ')
    await quarantined.handler(rawEventFor('announce/broken.json', quarantined.etag))
    expect(quarantined.published).toEqual([
      expect.objectContaining({
        outcome: 'quarantined',
        reason: 'invalid-json',
        message: 'announce/broken.json was quarantined (invalid-json): the object is not well-formed JSON',
        quarantineKey: quarantineKey('announce/broken.json', {etag: quarantined.etag}),
      }),
    ])
  })

  test('a replaced upload with nothing done by an earlier try (only swept) is skipped, and nothing announced', async () => {
    const {handler, published} = handlerWith()
    const key = 'swept.json'
    const etag = await put(key, record('Kelly Lee Owens', 'On'))
    await t.pipeline.dynamodb.send(
      new PutItemCommand({
        TableName: t.pipeline.state.outcomesTable,
        Item: {
          [OUTCOMES_TABLE.partitionKey]: {S: key},
          [OUTCOMES_TABLE.sortKey]: {S: etag},
          [OUTCOMES_TABLE.attributes.sweepAttempts]: {N: '1'},
        },
      }),
    )
    await put(key, record('Kelly Lee Owens', 'Melt!'))
    expect(await handler(eventFor(key, etag))).toEqual([{outcome: 'skipped', key, why: 'superseded'}])
    expect(published).toEqual([])
  })
})

describe('reading the upload', () => {
  /** The pipeline's S3, recording the commands sent for `key`. */
  const recording = (
    key: string,
    commands: string[],
    change?: (name: string, input: Record<string, unknown>) => void,
  ) =>
    around(t.pipeline.s3, async (name, input, send) => {
      if (input.Key === key && input.Bucket === bucket) {
        commands.push(name)
        change?.(name, input)
      }
      return send()
    })

  test('an object exactly at the cap is read with one GET and stored', async () => {
    const key = 'read/at-cap.json'
    const body = record('Burial', 'Archangel')
    const etag = await put(key, body + ' '.repeat(MAX_OBJECT_BYTES - body.length))
    const commands: string[] = []
    const {handler} = handlerWith({s3: recording(key, commands)})
    expect(await handler(eventFor(key, etag, MAX_OBJECT_BYTES))).toEqual([expect.objectContaining({outcome: 'stored'})])
    expect(commands).toEqual(['GetObjectCommand', 'DeleteObjectCommand'])
  })

  test('an object the event says is over the cap, but is not, is read after all and stored', async () => {
    const key = 'read/misreported.json'
    const etag = await put(key, record('Burial', 'Untrue'))
    const commands: string[] = []
    const {handler} = handlerWith({s3: recording(key, commands)})
    expect(await handler(eventFor(key, etag, MAX_OBJECT_BYTES + 1))).toEqual([
      expect.objectContaining({outcome: 'stored'}),
    ])
    expect(commands).toEqual(['HeadObjectCommand', 'GetObjectCommand', 'DeleteObjectCommand'])
  })

  test('an S3 that ignores If-Match: the newer upload under the key is still never taken for the older', async () => {
    const key = 'read/ignored-if-match.json'
    const older = await put(key, record('Burial', 'Near Dark'))
    const newer = await put(key, record('Burial', 'Ghost Hardware'))
    const ignoring = recording(key, [], (name, input) => {
      if (name === 'GetObjectCommand') delete input.IfMatch
    })
    const {handler, published} = handlerWith({s3: ignoring})
    expect(await handler(eventFor(key, older))).toEqual([{outcome: 'skipped', key, why: 'superseded'}])
    expect(published).toEqual([])
    expect(await t.item('Burial', 'TRACK#Ghost Hardware')).toBeUndefined()
    expect(await handler(eventFor(key, newer))).toEqual([expect.objectContaining({outcome: 'stored'})])
  })

  test('a batch object over its cap is quarantined unread, with a message to split it', async () => {
    const key = 'read/huge.ndjson'
    const etag = await put(key, record('Burial', 'Shell of Light'))
    const size = MAX_BATCH_OBJECT_BYTES + 1
    // S3 says how large the object is; making one over 1 GiB here would take too long.
    const s3 = around(t.pipeline.s3, async (name, input, send) => {
      const answer = (await send()) as {ContentLength?: number}
      return name === 'HeadObjectCommand' && input.Key === key ? {...answer, ContentLength: size} : answer
    })
    const {handler, published} = handlerWith({s3})
    const message = `the batch object is ${size} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split it`
    expect(await handler(eventFor(key, etag, size))).toEqual([
      expect.objectContaining({outcome: 'quarantined', reason: 'too-large', message}),
    ])
    expect(published).toEqual([expect.objectContaining({message: `${key} was quarantined (too-large): ${message}`})])
  })
})

describe('a batch through a handler of its own', () => {
  test('a line whose entry cannot be written fails the batch; the retry keeps the line stored before', async () => {
    let failing = true
    const {handler, published} = handlerWith({
      s3: quarantineFailing('PutObjectCommand', () => failing),
      batch: {linesPerCheckpoint: 10},
    })
    const key = 'batch/entry-write.ndjson'
    const etag = await put(key, [record('Moderat', 'Bad Kingdom'), '{'].join('\n'))
    await expect(handler(eventFor(key, etag))).rejects.toThrow('injected')
    expect(await t.item('Moderat', 'TRACK#Bad Kingdom')).toBeDefined()
    failing = false
    expect(await handler(eventFor(key, etag))).toEqual([
      expect.objectContaining({
        outcome: 'batch',
        counts: {records: 2, stored: 1, unchanged: 0, quarantined: 1, reasons: {'invalid-json': 1}},
      }),
    ])
    expect(await entriesOf(key)).toEqual([quarantineKey(key, {etag}, 2)])
    expect(published.map((n) => n.outcome)).toEqual(['batch'])
  })

  test('gzip data that breaks off: the object is copied whole as the entry of the first line lost', async () => {
    const {handler} = handlerWith()
    const key = 'batch/cut.ndjson.gz'
    const whole = gzipSync(Array.from({length: 300}, (_, i) => record('Moderat', `Cut ${i}`)).join('\n'))
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6))
    const etag = await put(key, cut)
    const [result] = await handler(eventFor(key, etag))
    expect(result).toMatchObject({outcome: 'batch'})
    const lost = (result as {counts: {records: number}}).counts.records
    expect(await entriesOf(key)).toEqual([quarantineKey(key, {etag}, lost)])
    expect((await t.quarantined(quarantineKey(key, {etag}, lost))).metadata[ITEM_METADATA.sourceKey]).toBeUndefined()
  })
})
