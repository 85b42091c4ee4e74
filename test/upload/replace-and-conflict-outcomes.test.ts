import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {localTarget} from '#local/target.js'
import {planUpload} from '#upload/plan.js'
import {runUpload} from '#upload/run-upload.js'
import {adminOf, removeDir, startTestPipeline, type TestPipeline} from '../processor/helpers.js'
import {temporaryFolders} from './folders.js'

// What `upload` reports of earlier runs: records replaced with --replace --wait (the admin is the one role that may
// write under replace/), and no earlier run's time on a file it could not send.

let t: TestPipeline
let target: PipelineTarget
beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
})
afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
})

const folder = temporaryFolders('ep-replace-counted')
const song = (duration: number) =>
  JSON.stringify({ArtistID: 'Floating Points', ItemID: 'TRACK#Refreshed', EntityType: 'Track', Duration: duration})
const silent = {advance: () => {}, done: () => {}}
const wait = {timeoutMs: 30_000, progress: () => silent}

it('counts a record replaced with --replace --wait as replaced, not as stored', async () => {
  const first = await runUpload(target, await planUpload([folder({'song.json': song(100)})], {prefix: 'refresh'}), {
    validate: true,
    progress: silent,
    wait,
  })
  expect(first.summary).toMatchObject({uploaded: 1, stored: 1})
  const replaced = await runUpload(
    {...target, s3: adminOf(t.pipeline).s3},
    await planUpload([folder({'song.json': song(300)})], {prefix: 'replace/refresh'}),
    {validate: true, replace: true, requestedBy: 'quarantine-admin', progress: silent, wait},
  )
  expect(replaced.summary).toMatchObject({uploaded: 1, replaced: 1, quarantined: 0})
})

it('does not date a forced batch it could not send (another upload of the key waits) with the earlier run', async () => {
  const catalog = `${JSON.stringify({ArtistID: 'Floating Points', ItemID: 'TRACK#Batched', Duration: 5})}\n`
  const at = folder({'catalog.ndjson': catalog})
  const first = await runUpload(target, await planUpload([at], {prefix: 'same'}), {
    validate: true,
    progress: silent,
    wait,
  })
  expect(first.summary).toMatchObject({uploaded: 1})
  await t.pipeline.idle()
  const waiting = {...target, resources: {...target.resources, processingBucket: 'unprocessed'}}
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'unprocessed'}))
  await t.pipeline.s3.send(
    new PutObjectCommand({Bucket: 'unprocessed', Key: 'same/catalog.ndjson', Body: '{"other": 1}\n'}),
  )
  const forced = await runUpload(waiting, await planUpload([at], {prefix: 'same'}), {
    validate: true,
    force: true,
    progress: silent,
  })
  expect(forced.files[0]).toMatchObject({status: 'in-flight-conflict'})
  expect(forced.files[0].processedAt).toBeUndefined()
})
