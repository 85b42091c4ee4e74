import {CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {QUARANTINE_TAGS} from '#contract/pipeline-contract.js'
import {localTarget} from '#local/target.js'
import {inFlight, keyStatus, waitForOutcomes} from '#status/key-status.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from '../processor/helpers.js'

// `status` and `upload --wait` with exactly the uploader's S3 rights: listing both buckets and reading the quarantine
// entries' tags. The client here refuses every request that reads an object (as IAM would, AccessDenied).

const READS_CONTENT = new Set(['GetObjectCommand', 'HeadObjectCommand'])

let t: TestPipeline
const sent: string[] = []

function uploaderTarget() {
  const target = localTarget(t.pipeline.state, {concurrency: 4})
  target.s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName)
      if (READS_CONTENT.has(context.commandName))
        throw Object.assign(new Error('Access Denied'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}})
      return next(args)
    },
    {step: 'initialize', name: 'uploaderRights'},
  )
  return target
}

beforeAll(async () => {
  t = await startTestPipeline()
})
afterAll(() => stopTestPipeline(t))

describe('status with only the uploader rights', () => {
  it('tells stored, quarantined (with its reason, from the tag), in flight and unknown keys apart', async () => {
    const stored = await t.upload('ok.json', JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#ok'}))
    const rejected = await t.upload('bad.json', '{"ArtistID": "A",}')
    await t.pipeline.idle()
    const target = uploaderTarget()

    expect(await keyStatus(target, 'ok.json')).toMatchObject({state: 'stored'})
    const quarantined = await keyStatus(target, 'bad.json')
    expect(quarantined).toMatchObject({state: 'quarantined', reason: 'invalid-json'})
    expect(quarantined.message).toBeUndefined()
    expect(await keyStatus(target, 'never.json')).toMatchObject({state: 'not-found'})

    // Waiting for both uploads by ETag settles them the same way.
    const waited = await waitForOutcomes(
      target,
      [
        {key: 'ok.json', etag: stored},
        {key: 'bad.json', etag: rejected},
      ],
      {timeoutMs: 10_000},
    )
    expect(waited.statuses.map((s) => s.state)).toEqual(['stored', 'quarantined'])
    expect(sent.filter((name) => READS_CONTENT.has(name))).toEqual([])
    expect(sent).toContain('GetObjectTaggingCommand')
  })

  it('finds an object still waiting in processing by listing, with its ETag', async () => {
    // A bucket nobody processes stands in for processing, so the object stays there.
    await t.pipeline.s3.send(new CreateBucketCommand({Bucket: 'waiting-room'}))
    const {ETag} = await t.pipeline.s3.send(new PutObjectCommand({Bucket: 'waiting-room', Key: 'w.json', Body: '{}'}))
    const target = uploaderTarget()
    target.resources.processingBucket = 'waiting-room'
    expect(await keyStatus(target, 'w.json')).toMatchObject({state: 'in-flight'})
    expect(await inFlight(target, 'w.json')).toMatchObject({state: 'in-flight', etag: ETag!.replaceAll('"', '')})
    // A key that only prefixes another is not that other.
    expect(await inFlight(target, 'w')).toBeUndefined()
    expect(sent.filter((name) => READS_CONTENT.has(name))).toEqual([])
  })

  it('tags each quarantine entry with its reason and the upload it came from', async () => {
    const etag = await t.upload('tagged.json', 'not json')
    await t.pipeline.idle()
    const [entry] = (await t.keys(t.pipeline.state.quarantineBucket)).filter((key) => key.startsWith('tagged.json/'))
    const {TagSet = []} = await t.pipeline.s3.send(
      new GetObjectTaggingCommand({Bucket: t.pipeline.state.quarantineBucket, Key: entry}),
    )
    expect(Object.fromEntries(TagSet.map((tag) => [tag.Key, tag.Value]))).toEqual({
      [QUARANTINE_TAGS.reason]: 'invalid-json',
      [QUARANTINE_TAGS.sourceEtag]: etag,
      [QUARANTINE_TAGS.quarantinedAt]: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    })
  })
})
