import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ListObjectsCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {newLocalCredentials} from '#local/credentials.js'
import {type S3Emulator, startS3} from '#local/emulators.js'
import {localClients} from '#local/target.js'
import {findStuck} from '#status/stuck.js'
import {removeDir} from '../processor/helpers.js'

// `status --stuck`: objects the processor never finished with, found by their age in the processing bucket.

const dir = mkdtempSync(join(tmpdir(), 'ep-stuck-'))
let s3: S3Emulator
let target: PipelineTarget

beforeAll(async () => {
  const credentials = newLocalCredentials()
  s3 = await startS3({
    directory: join(dir, 's3'),
    host: '127.0.0.1',
    port: 0,
    credentials: [credentials],
    buckets: ['processing', 'other'],
  })
  const {s3: client} = localClients({endpoints: {s3: s3.endpoint, dynamodb: 'http://127.0.0.1:9'}, credentials})
  target = {label: 'test', region: 'us-east-1', concurrency: 4, resources: {processingBucket: 'processing'}, s3: client}
})
afterAll(async () => {
  await s3?.close()
  await removeDir(dir)
})

describe('findStuck', () => {
  it('finds the objects in the processing bucket at least the threshold old, with their size, time and age', async () => {
    for (const key of ['a.json', 'b.json'])
      await target.s3.send(new PutObjectCommand({Bucket: 'processing', Key: key, Body: Buffer.from(`{"k":"${key}"}`)}))
    await target.s3.send(new PutObjectCommand({Bucket: 'other', Key: 'elsewhere.json', Body: Buffer.from('{}')}))
    const {Contents = []} = await target.s3.send(new ListObjectsCommand({Bucket: 'processing'}))
    const [a, b] = Contents.map((object) => object.LastModified!.getTime())
    const newest = Math.max(a, b)

    // Both exactly 60 s old or more: stuck, their age in whole seconds.
    const stuck = await findStuck(target, 60, newest + 60_000)
    expect(stuck).toEqual([
      {
        key: 'a.json',
        size: 14,
        uploadedAt: new Date(a).toISOString(),
        ageSeconds: Math.floor((newest + 60_000 - a) / 1000),
      },
      {key: 'b.json', size: 14, uploadedAt: new Date(b).toISOString(), ageSeconds: 60},
    ])
    // A moment younger than the threshold: not stuck yet.
    expect((await findStuck(target, 60, newest + 59_999)).map((object) => object.key)).not.toContain('b.json')
    expect(await findStuck(target, 3600, newest + 60_000)).toEqual([])
  })
})
