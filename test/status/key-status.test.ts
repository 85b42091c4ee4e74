import {CreateBucketCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {keyHistory, keyStatus, waitForOutcomes} from '#status/key-status.js'
import {localTarget} from '#local/target.js'
import type {PipelineTarget} from '#aws/clients.js'
import {removeDir, startTestPipeline} from '../processor/helpers.js'

// `status` in-process, against a local pipeline: one key uploaded four times, each upload ending differently.

const KEY = 'history/track.json'
const item = {ArtistID: 'Caribou', ItemID: 'TRACK#Sun'}
const record = (duration: number, space = 0) =>
  JSON.stringify({...item, EntityType: 'Track', Duration: duration}, null, space)

let t: Awaited<ReturnType<typeof startTestPipeline>>
let target: PipelineTarget
const etags: Record<'stored' | 'duplicate' | 'unchanged', string> = {stored: '', duplicate: '', unchanged: ''}

const sendAndSettle = async (body: string) => {
  const etag = await t.upload(KEY, body)
  await t.pipeline.idle()
  // Outcome times have millisecond resolution: keep the uploads apart.
  await new Promise((resolve) => setTimeout(resolve, 5))
  return etag
}

beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
  etags.stored = await sendAndSettle(record(250))
  etags.duplicate = await sendAndSettle(record(251))
  etags.unchanged = await sendAndSettle(record(250, 2))
})
afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
})

describe('status of a key', () => {
  it('is its latest upload', async () => {
    expect(await keyStatus(target, KEY)).toEqual({key: KEY, state: 'unchanged', at: expect.any(String), item})
  })

  it('of one upload, named by its ETag, is that upload', async () => {
    expect(await keyStatus(target, KEY, {etag: etags.stored})).toMatchObject({state: 'stored', item})
    expect(await keyStatus(target, KEY, {etag: etags.duplicate})).toMatchObject({
      state: 'quarantined',
      reason: 'duplicate',
      entry: expect.stringMatching(/^history\/track\.json\/q-/),
    })
    expect(await keyStatus(target, KEY, {etag: 'no-such-etag'})).toEqual({key: KEY, state: 'not-found'})
  })

  it('history lists every upload, newest first, with its ETag', async () => {
    const {history, state} = await keyHistory(target, KEY)
    expect(state).toBe('unchanged')
    expect(history!.map(({state, etag}) => [state, etag])).toEqual([
      ['unchanged', etags.unchanged],
      ['quarantined', etags.duplicate],
      ['stored', etags.stored],
    ])
    const times = history!.map((outcome) => Date.parse(outcome.at!))
    expect(times).toEqual([...times].sort((a, b) => b - a))
  })

  it('of a key never uploaded is not found, with an empty history', async () => {
    expect(await keyHistory(target, 'history/never.json')).toEqual({
      key: 'history/never.json',
      state: 'not-found',
      history: [],
    })
  })

  it('of an object still waiting is in flight, first in its history; waiting for it times out as it stood', async () => {
    // A bucket the pipeline does not watch, standing in for a processing bucket whose processor is behind.
    const waitingTarget = {...target, resources: {...target.resources, processingBucket: 'not-watched'}}
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'not-watched'}))
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: 'not-watched', Key: KEY, Body: record(252)}))
    expect(await keyStatus(waitingTarget, KEY)).toMatchObject({state: 'in-flight', at: expect.any(String)})
    expect((await keyHistory(waitingTarget, KEY)).history!.map((h) => h.state)).toEqual([
      'in-flight',
      'unchanged',
      'quarantined',
      'stored',
    ])
    // Asked about an earlier upload, the waiting one is not it.
    expect(await keyStatus(waitingTarget, KEY, {etag: etags.stored})).toMatchObject({state: 'stored'})
    const waited = await waitForOutcomes(waitingTarget, [{key: KEY}], {timeoutMs: 0})
    expect(waited).toEqual({timedOut: true, statuses: [expect.objectContaining({key: KEY, state: 'in-flight'})]})
  })

  it('waiting for settled uploads returns at once, telling of each as it settles', async () => {
    const settled: number[] = []
    const waited = await waitForOutcomes(
      target,
      [
        {key: KEY, etag: etags.stored},
        {key: KEY, etag: etags.duplicate},
      ],
      {timeoutMs: 60_000, onSettled: (_, index) => settled.push(index)},
    )
    expect(waited.timedOut).toBe(false)
    expect(waited.statuses.map((s) => s.state)).toEqual(['stored', 'quarantined'])
    expect(settled.sort()).toEqual([0, 1])
  })
})
