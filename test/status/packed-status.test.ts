import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {DeleteObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {localTarget} from '#local/target.js'
import {packedQuarantineStatus, packedRecordStatus} from '#status/key-status.js'
import {outcomeLine} from '#status/status-lines.js'
import {type Packing, packIntoBatches, removeBatchFiles} from '#upload/pack.js'
import {planUpload} from '#upload/plan.js'
import {removeDir, startTestPipeline, stopTestPipeline, temporaryDir, type TestPipeline} from '../processor/helpers.js'

// `status FILE` of a file `upload --batch` packed, in-process against a local pipeline: the file has no key of its
// own, so its record says where it went, stored or quarantined.

let t: TestPipeline
let target: PipelineTarget
let dir: string
let packing: Packing
const bad = () => readFileSync(join(dir, 'dir-A/artist-000/song-4000.json'))
const good = () => readFileSync(join(dir, 'dir-A/artist-000/song-4001.json'))

beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
  dir = await temporaryDir()
  mkdirSync(join(dir, 'dir-A/artist-000'), {recursive: true})
  // Pretty-printed, as people write them: the batch holds each on one line.
  const record = (n: number, extra = {}) =>
    JSON.stringify({ArtistID: 'Packed Status', ItemID: `TRACK#${n}`, EntityType: 'Track', ...extra}, null, 2)
  writeFileSync(join(dir, 'dir-A/artist-000/song-4000.json'), record(4000, {Duration: 'long'}))
  writeFileSync(join(dir, 'dir-A/artist-000/song-4001.json'), record(4001, {Duration: 60}))
  packing = await packIntoBatches(await planUpload([join(dir, 'dir-A')], {}), 10, {validate: false})
  for (const batch of packing.batches) await t.upload(batch.key, readFileSync(batch.file.absolutePath!))
  await t.pipeline.idle()
})
afterAll(async () => {
  await stopTestPipeline(t)
  if (packing) await removeBatchFiles(packing)
  if (dir) await removeDir(dir)
})

describe('status of a packed file', () => {
  it('whose record was quarantined: quarantined, with its entry, reason, batch object and line', async () => {
    const [batch] = packing.batches
    const status = await packedQuarantineStatus(target, 'song-4000.json', bad())
    expect(status).toEqual({
      key: 'song-4000.json',
      state: 'quarantined',
      at: expect.any(String),
      reason: 'schema',
      entry: expect.stringMatching(new RegExp(`^${batch.key.replaceAll('.', '\\.')}/q-[0-9a-f]{16}$`)),
      packedInto: {key: batch.key, line: 1},
    })
    expect(outcomeLine(status!)).toBe(
      `quarantined  song-4000.json  schema  [${status!.entry}] line 1 of ${batch.key} (packed by upload --batch)`,
    )
  })

  it('whose record was stored: stored (not quarantined)', async () => {
    expect(await packedQuarantineStatus(target, 'song-4001.json', good())).toBeUndefined()
    expect(await packedRecordStatus(target, 'song-4001.json', good())).toMatchObject({
      state: 'stored',
      packedInto: {key: packing.batches[0].key, line: 2},
    })
  })

  it('of another record (the file changed since): not quarantined', async () => {
    expect(await packedQuarantineStatus(target, 'song-4000.json', Buffer.from(`${bad().toString()} `))).toBeUndefined()
  })

  it('whose entry is gone (released or removed): no longer quarantined', async () => {
    const status = await packedQuarantineStatus(target, 'song-4000.json', bad())
    await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: status!.entry}))
    expect(await packedQuarantineStatus(target, 'song-4000.json', bad())).toBeUndefined()
  })
})
