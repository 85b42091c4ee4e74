import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {localTarget} from '#local/target.js'
import {planUpload} from '#upload/plan.js'
import {dryRun, runUpload, summaryLine, uploadExitStatus} from '#upload/run-upload.js'
import {removeDir, startTestPipeline} from '../processor/helpers.js'

// `upload` in-process against a local pipeline: what is sent, what is skipped, and what --wait reports.

const record = (title: string, duration = 200) =>
  JSON.stringify({ArtistID: 'Floating Points', ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: duration})
const silent = {advance: () => {}, done: () => {}}

let t: Awaited<ReturnType<typeof startTestPipeline>>
let target: PipelineTarget
let dir: string

const files = (contents: Record<string, string>) => {
  const at = mkdtempSync(join(dir, 'files-'))
  for (const [name, body] of Object.entries(contents)) writeFileSync(join(at, name), body)
  return at
}
const upload = async (
  path: string,
  options: {validate?: boolean; wait?: boolean; force?: boolean; prefix?: string} = {},
) =>
  runUpload(target, await planUpload([path], {prefix: options.prefix}), {
    validate: options.validate ?? true,
    force: options.force,
    progress: silent,
    wait: options.wait ? {timeoutMs: 30_000, progress: () => silent} : undefined,
  })

beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
  dir = mkdtempSync(join(tmpdir(), 'ep-upload-'))
})
afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
  await removeDir(dir)
})

describe('runUpload', () => {
  it('sends valid files under their keys, refuses invalid ones, and with wait reports each outcome', async () => {
    const at = files({'a.json': record('Silhouettes'), 'b.json': '{"ArtistID": 1}'})
    const result = await upload(at, {wait: true, prefix: 'run'})
    expect(result.summary).toEqual({
      files: 2,
      invalid: 1,
      uploaded: 1,
      unchanged: 0,
      failed: 0,
      notAttempted: 0,
      stored: 1,
      quarantined: 0,
      pending: 0,
    })
    expect(result.files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: 'run/a.json',
          status: 'uploaded',
          outcome: expect.objectContaining({state: 'stored'}),
        }),
        expect.objectContaining({key: 'run/b.json', status: 'invalid', reason: 'schema'}),
      ]),
    )
    expect(uploadExitStatus(result)).toBe(1)
    expect(summaryLine(result)).toContain('2 files')
  })

  it('sends invalid files too without validation, and the pipeline quarantines them', async () => {
    const at = files({'broken.json': '{"ArtistID": '})
    const result = await upload(at, {validate: false, wait: true, prefix: 'novalidate'})
    expect(result.summary).toMatchObject({files: 1, invalid: 0, uploaded: 1, stored: 0, quarantined: 1})
    expect(result.files[0].outcome).toMatchObject({state: 'quarantined', reason: 'invalid-json'})
    expect(uploadExitStatus(result)).toBe(1)
  })

  it('skips a record already stored exactly so (unchanged, exit 0), unless forced', async () => {
    const at = files({'once.json': record('Nespole')})
    expect(uploadExitStatus(await upload(at, {wait: true, prefix: 'again'}))).toBe(0)
    const again = await upload(at, {prefix: 'again'})
    expect(again.summary).toMatchObject({uploaded: 0, unchanged: 1})
    expect(again.files[0].status).toBe('unchanged')
    expect(uploadExitStatus(again)).toBe(0)
    const forced = await upload(at, {prefix: 'again', force: true, wait: true})
    expect(forced.summary).toMatchObject({uploaded: 1, stored: 1})
  })

  it('does not replace an object still waiting under the same key', async () => {
    // The quarantine bucket stands in for a processing bucket whose processor is behind: nothing processes it.
    const waitingTarget = {
      ...target,
      resources: {...target.resources, processingBucket: t.pipeline.state.quarantineBucket},
    }
    await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: 'busy/c.json', Body: record('Busy', 1)}),
    )
    const at = files({'c.json': record('Busy', 2)})
    const result = await runUpload(waitingTarget, await planUpload([at], {prefix: 'busy'}), {
      validate: true,
      progress: silent,
    })
    expect(result.files[0].status).toBe('in-flight-conflict')
    expect(result.summary.failed).toBe(1)
    expect(uploadExitStatus(result)).toBe(4)
  })

  it('dry run checks every file and sends nothing', async () => {
    const at = files({'d.json': record('Dry'), 'e.json': '[]'})
    const result = await dryRun(await planUpload([at], {prefix: 'dry'}), {validate: true})
    expect(result.files.map((f) => [f.key, f.status])).toEqual(
      expect.arrayContaining([
        ['dry/d.json', 'would-upload'],
        ['dry/e.json', 'invalid'],
      ]),
    )
    expect(await t.keys(t.pipeline.state.processingBucket)).not.toContain('dry/d.json')
  })
})
