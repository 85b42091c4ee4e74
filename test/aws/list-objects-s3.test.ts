import {join} from 'node:path'

import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findObject, listObjects, listObjectVersions} from '#aws/list-objects.js'
import {newLocalCredentials} from '#local/credentials.js'
import {type S3Emulator, startS3} from '#local/emulators.js'
import {localClients} from '#local/target.js'
import {tempDir} from '../helpers/temp-dirs.js'

// The same listings against the local S3 (s3rver): its answers as the SDK parses them. Paging past 1,000 keys is
// checked with hand-made pages (list-objects.test.ts): writing a thousand objects here would take ten seconds.

let emulator: S3Emulator
let s3: S3Client
const DATA_KEYS = ['data/0000.json', 'data/0001.json', 'data/0002.json', 'data/0003.json']

beforeAll(async () => {
  const credentials = newLocalCredentials()
  emulator = await startS3({
    directory: join(tempDir('ep-list-objects-'), 's3'),
    host: '127.0.0.1',
    port: 0,
    credentials: [credentials],
    buckets: ['listed'],
  })
  s3 = localClients({endpoints: {s3: emulator.endpoint, dynamodb: 'http://127.0.0.1:9'}, credentials}).s3
  const keys = [...DATA_KEYS, 'a.json', 'a.json.bak', 'other/x.json']
  await Promise.all(
    keys.map((key) => s3.send(new PutObjectCommand({Bucket: 'listed', Key: key, Body: Buffer.from(`"${key}"`)}))),
  )
})
afterAll(async () => {
  await emulator?.close()
})

async function keysOf(iterable: AsyncIterable<{key: string}>): Promise<string[]> {
  const keys: string[] = []
  for await (const {key} of iterable) keys.push(key)
  return keys
}

describe('listing the local S3', () => {
  it('lists every key under a prefix, in order, with sizes and ETags', async () => {
    const listed: Array<{key: string; size: number; etag?: string}> = []
    for await (const object of listObjects(s3, 'listed', {prefix: 'data/'})) listed.push(object)
    expect(listed.map((object) => object.key)).toEqual(DATA_KEYS)
    expect(listed[0]).toMatchObject({key: 'data/0000.json', size: 16})
    expect(listed[0].etag).toMatch(/^[0-9a-f]{32}$/)
  })

  it('stops at the limit', async () => {
    expect(await keysOf(listObjects(s3, 'listed', {prefix: 'data/', limit: 3}))).toEqual([
      'data/0000.json',
      'data/0001.json',
      'data/0002.json',
    ])
  })

  it('lists the whole bucket without a prefix', async () => {
    const keys = await keysOf(listObjects(s3, 'listed'))
    expect(keys).toEqual(['a.json', 'a.json.bak', ...DATA_KEYS, 'other/x.json'])
  })

  it('finds an object by its exact key only', async () => {
    expect(await findObject(s3, 'listed', 'a.json')).toMatchObject({key: 'a.json', size: 8})
    expect(await findObject(s3, 'listed', 'a.js')).toBeUndefined()
    expect(await findObject(s3, 'listed', 'missing.json')).toBeUndefined()
  })

  it('finds no versions: the local S3 keeps none', async () => {
    const pages: unknown[] = []
    for await (const page of listObjectVersions(s3, 'listed', 'data/')) pages.push(page)
    expect(pages).toEqual([])
  })
})
