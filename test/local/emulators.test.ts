import {ConditionalCheckFailedException, GetItemCommand, PutItemCommand} from '@aws-sdk/client-dynamodb'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {BUCKETS, TABLE, startEmulators, type Emulators} from '../cli/helpers/emulators.js'

// The conditional requests the processor relies on, which s3rver and dynalite only honour through our patches
// (src/lib/local/emulators.ts): each is checked against the emulator directly, both ways.

const bucket = BUCKETS.processing
let e: Emulators

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

const put = async (key: string, body: string) =>
  (await e.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: body}))).ETag!
const bodyOf = async (key: string) =>
  (await e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body!.transformToString()
const exists = (key: string) =>
  e.s3.send(new HeadObjectCommand({Bucket: bucket, Key: key})).then(
    () => true,
    () => false,
  )
const preconditionFailed = {name: 'PreconditionFailed', $metadata: expect.objectContaining({httpStatusCode: 412})}

describe('s3rver, patched', () => {
  test('PUT with If-None-Match: * writes a new key and refuses to replace an existing one', async () => {
    const key = 'if-none-match.json'
    await e.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*'}))
    await expect(
      e.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*'})),
    ).rejects.toMatchObject(preconditionFailed)
    expect(await bodyOf(key)).toBe('first')
  })

  test('GET with If-Match reads the named upload only', async () => {
    const key = 'if-match-get.json'
    const old = await put(key, 'old')
    const current = await put(key, 'new')
    await expect(e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key, IfMatch: old}))).rejects.toMatchObject(
      preconditionFailed,
    )
    const read = await e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key, IfMatch: current}))
    expect(await read.Body!.transformToString()).toBe('new')
  })

  test('DELETE with If-Match leaves a newer upload in place, and deletes the named one', async () => {
    const key = 'if-match-delete.json'
    const old = await put(key, 'old')
    const current = await put(key, 'new')
    await expect(e.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: key, IfMatch: old}))).rejects.toMatchObject(
      preconditionFailed,
    )
    expect(await bodyOf(key)).toBe('new')
    await e.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: key, IfMatch: current}))
    expect(await exists(key)).toBe(false)
  })

  test('an upload racing a conditional delete of the one before is never deleted unseen', async () => {
    const keys = Array.from({length: 40}, (_, i) => `race/${i}.json`)
    await Promise.all(
      keys.map(async (key) => {
        const old = await put(key, 'old')
        await Promise.all([
          e.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: key, IfMatch: old})).catch(() => {}),
          put(key, 'new'),
        ])
      }),
    )
    for (const key of keys) expect(await bodyOf(key)).toBe('new')
  })

  test('copy with x-amz-copy-source-if-match copies the named upload only, keys with #, + and spaces included', async () => {
    const key = 'copy #1+2 ü.json'
    const old = await put(key, 'old')
    const current = await put(key, 'new')
    const copy = (ifMatch: string) =>
      e.s3.send(
        new CopyObjectCommand({
          Bucket: BUCKETS.quarantine,
          Key: key,
          CopySource: `${bucket}/${encodeURIComponent(key)}`,
          CopySourceIfMatch: ifMatch,
        }),
      )
    await expect(copy(old)).rejects.toMatchObject(preconditionFailed)
    await copy(current)
    const read = await e.s3.send(new GetObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))
    expect(await read.Body!.transformToString()).toBe('new')
  })

  test('copy with If-None-Match: * does not replace an existing target', async () => {
    const key = 'copy-target.json'
    await put(key, 'source')
    await e.s3.send(new PutObjectCommand({Bucket: BUCKETS.quarantine, Key: key, Body: 'there already'}))
    await expect(
      e.s3.send(
        new CopyObjectCommand({Bucket: BUCKETS.quarantine, Key: key, CopySource: `${bucket}/${key}`, IfNoneMatch: '*'}),
      ),
    ).rejects.toMatchObject(preconditionFailed)
    const read = await e.s3.send(new GetObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))
    expect(await read.Body!.transformToString()).toBe('there already')
  })
})

describe('s3rver, patched: every key S3 takes, and none it refuses', () => {
  // ListObjects (v1), as the CLI lists (list-objects.ts): s3rver's V2 continuation tokens need DES, gone in OpenSSL 3.
  const list = async (options: {Prefix?: string; Delimiter?: string; MaxKeys?: number; Marker?: string} = {}) => {
    const page = await e.s3.send(new ListObjectsCommand({Bucket: BUCKETS.quarantine, ...options}))
    return {
      keys: (page.Contents ?? []).map((object) => object.Key!),
      prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix!),
    }
  }
  const putIn = (Key: string, Body: string) => e.s3.send(new PutObjectCommand({Bucket: BUCKETS.quarantine, Key, Body}))
  const read = async (Key: string) =>
    (await e.s3.send(new GetObjectCommand({Bucket: BUCKETS.quarantine, Key}))).Body!.transformToString()

  test('stores, reads, lists and deletes keys whose segments no file name can hold, up to 1,024 bytes', async () => {
    const long = 'long/' + 'é'.repeat(300) + '/' + 'x'.repeat(400) + '.json' // segments of 600 and 405 bytes
    const longest = 'long/' + 'y'.repeat(1019) // 1,024 bytes: S3's limit
    const dots = 'long/../escape.json' // a path would leave the folder
    const hidden = '._S3rver_hashed/not-a-hash' // the folder long keys live in, as a key's own segment
    const plain = 'long/plain.json'
    for (const key of [long, longest, dots, hidden, plain]) await putIn(key, `body of ${key.length}`)
    for (const key of [long, longest, dots, hidden, plain]) expect(await read(key)).toBe(`body of ${key.length}`)
    // Listed under their own keys, in S3's order (UTF-8 bytes: '.' < '/' < 'p' < 'x' < 'y' < 'é').
    expect((await list({Prefix: 'long/'})).keys).toEqual([dots, plain, longest, long])
    expect(await list({Prefix: 'long/', Delimiter: '/'})).toEqual({
      keys: [plain, longest],
      prefixes: ['long/../', long.slice(0, long.lastIndexOf('/') + 1)],
    })
    expect((await list({Prefix: '._S3rver'})).keys).toEqual([hidden])
    expect((await list({Prefix: 'long/', MaxKeys: 2})).keys).toEqual([dots, plain])
    expect((await list({Prefix: 'long/', Marker: plain})).keys).toEqual([longest, long])
    for (const key of [long, longest, dots, hidden, plain])
      await e.s3.send(new DeleteObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))
    expect(await list({Prefix: 'long/'})).toEqual({keys: [], prefixes: []})
    expect(await list({Prefix: '._S3rver'})).toEqual({keys: [], prefixes: []})
  })

  test("lists keys in S3 order, not its folders' order (a.b before a/b)", async () => {
    for (const key of ['order/a/b', 'order/a.b', 'order/a0']) await putIn(key, key)
    expect((await list({Prefix: 'order/'})).keys).toEqual(['order/a.b', 'order/a/b', 'order/a0'])
  })

  test('refuses a key over 1,024 bytes with KeyTooLongError (400)', async () => {
    await expect(putIn('k'.repeat(1025), 'x')).rejects.toMatchObject({
      name: 'KeyTooLongError',
      $metadata: expect.objectContaining({httpStatusCode: 400}),
    })
    await expect(putIn('é'.repeat(513), 'x')).rejects.toMatchObject({name: 'KeyTooLongError'})
  })
})

describe('dynalite, patched', () => {
  const key = {ArtistID: {S: 'Emulator'}, ItemID: {S: 'TRACK#Conditional'}}
  const putNew = (extra: Record<string, {S: string}>, returnOld?: 'ALL_OLD') =>
    e.dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {...key, ...extra},
        ConditionExpression: 'attribute_not_exists(ArtistID)',
        ReturnValuesOnConditionCheckFailure: returnOld,
      }),
    )

  test('a failed conditional put returns the existing item when asked (ALL_OLD), and only then', async () => {
    await putNew({Title: {S: 'first'}})
    const failure = (await putNew({Title: {S: 'second'}}, 'ALL_OLD').catch((error) => error)) as Record<string, unknown>
    expect(failure).toBeInstanceOf(ConditionalCheckFailedException)
    expect(failure.Item).toEqual({...key, Title: {S: 'first'}})
    const plain = (await putNew({Title: {S: 'third'}}).catch((error) => error)) as Record<string, unknown>
    expect(plain).toBeInstanceOf(ConditionalCheckFailedException)
    expect(plain.Item).toBeUndefined()
    const {Item} = await e.dynamodb.send(new GetItemCommand({TableName: TABLE, Key: key}))
    expect(Item?.Title).toEqual({S: 'first'})
  })
})
