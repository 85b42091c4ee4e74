import {ConditionalCheckFailedException, GetItemCommand, PutItemCommand} from '@aws-sdk/client-dynamodb'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
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
