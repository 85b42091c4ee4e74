import {HeadObjectCommand} from '@aws-sdk/client-s3'
import {expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {planUpload} from '#upload/plan.js'
import {uploadFiles} from '#upload/send.js'
import {freshTarget, localPipelineForTests} from './fresh-target.js'
import {temporaryFolders} from './folders.js'

// What `upload` sends when it cannot look a batch file up (no table client, or no table named), or is told not to,
// and who is named as having asked for it.

const pipeline = localPipelineForTests()

const folder = temporaryFolders('ep-send-batch')
const track = (n: number) => JSON.stringify({ArtistID: 'Sender', ItemID: `TRACK#${n}`, Duration: 200})
const progress = {advance: () => {}, done: () => {}}

async function send(target: PipelineTarget, contents: Record<string, string>, force = false) {
  const result = await uploadFiles(target, await planUpload([folder(contents)], {}), {validate: true, force, progress})
  return {statuses: result.files.map((file) => file.status), failure: result.failure}
}

it('sends a batch file when the target has no table client to look it up with', async () => {
  const target: PipelineTarget = {...(await freshTarget(pipeline())), dynamodb: undefined}
  expect(await send(target, {'b.ndjson': `${track(1210)}\n`})).toEqual({statuses: ['uploaded'], failure: undefined})
})

it('sends a batch file when the target knows the outcomes table but not the table, forced or not', async () => {
  const known = await freshTarget(pipeline())
  const target = {...known, resources: {...known.resources, table: undefined}}
  expect(await send(target, {'n.ndjson': `${track(1220)}\n`})).toEqual({statuses: ['uploaded'], failure: undefined})
})

it('sends a batch file never processed with --force, without looking its records up', async () => {
  const target = await freshTarget(pipeline())
  expect(await send(target, {'f.ndjson': `${track(1230)}\n`}, true)).toEqual({
    statuses: ['uploaded'],
    failure: undefined,
  })
})

it('names who asked for the upload in the object metadata', async () => {
  const target = await freshTarget(pipeline())
  await uploadFiles(target, await planUpload([folder({'who.json': track(1200)})], {}), {
    validate: true,
    force: false,
    requestedBy: 'quarantine-admin',
    progress,
  })
  const head = await target.s3.send(
    new HeadObjectCommand({Bucket: target.resources.processingBucket!, Key: 'who.json'}),
  )
  expect(head.Metadata?.['ep-requested-by']).toBe('quarantine-admin')
})
