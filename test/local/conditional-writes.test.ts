import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {stopTestPipeline, type TestPipeline, startTestPipeline, trackRecord} from '../processor/helpers.js'

// The processing bucket's policy on AWS refuses object creations without If-None-Match (infra/storage.ts): the local
// S3 refuses them the same way, so no local race can replace an upload still in flight.

let t: TestPipeline
/** Settles the processing of the first upload once the racing writes have been answered. */
let letProcessingGo!: () => void
const held = new Promise<void>((resolve) => (letProcessingGo = resolve))

beforeAll(async () => {
  t = await startTestPipeline({
    instrumentHandlerClients({s3}) {
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'GetObjectCommand') await held
          return next(args)
        },
        {step: 'initialize', name: 'holdProcessing'},
      )
    },
  })
})
afterAll(() => stopTestPipeline(t))

const accessDenied = {name: 'AccessDenied', $metadata: expect.objectContaining({httpStatusCode: 403})}

describe('the local processing bucket takes only conditional writes', () => {
  it('refuses an unconditional PutObject racing an upload in flight (403); the upload in flight is then stored', async () => {
    const {processingBucket: bucket} = t.pipeline.state
    const key = 'race/in-flight.json'
    await t.upload(key, trackRecord('Racer', 'First'))
    await expect(
      t.pipeline.s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: trackRecord('Racer', 'Second')})),
    ).rejects.toMatchObject(accessDenied)
    await expect(
      t.pipeline.s3.send(
        new PutObjectCommand({Bucket: bucket, Key: 'race/new.json', Body: trackRecord('Racer', 'Third')}),
      ),
    ).rejects.toMatchObject(accessDenied)
    letProcessingGo()
    await t.pipeline.idle()
    expect(await t.item('Racer', 'TRACK#First')).toBeDefined()
    expect(await t.item('Racer', 'TRACK#Second')).toBeUndefined()
    expect(t.notifications).toEqual([expect.objectContaining({outcome: 'stored', sourceKey: key})])
    expect(await t.keys(bucket)).toEqual([])
  })

  it('allows the parts of a multipart upload, and completes it only with If-None-Match, as the policy on AWS', async () => {
    const {processingBucket: Bucket} = t.pipeline.state
    const Key = 'multipart/one.json'
    const {UploadId} = await t.pipeline.s3.send(new CreateMultipartUploadCommand({Bucket, Key}))
    const {ETag} = await t.pipeline.s3.send(
      new UploadPartCommand({Bucket, Key, UploadId, PartNumber: 1, Body: trackRecord('Parts', 'One')}),
    )
    const complete = (IfNoneMatch?: string) =>
      t.pipeline.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          IfNoneMatch,
          MultipartUpload: {Parts: [{ETag, PartNumber: 1}]},
        }),
      )
    await expect(complete()).rejects.toMatchObject(accessDenied)
    await complete('*')
    await t.pipeline.idle()
    expect(await t.item('Parts', 'TRACK#One')).toBeDefined()
  })
})
