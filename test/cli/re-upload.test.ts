import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import type {runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {tempDir} from '../helpers/temp-dirs.js'

// Re-sending records on the local pipeline: what is already stored exactly so is `unchanged`, never a duplicate.

const plain = {
  ArtistID: 'Fred again..',
  ItemID: 'TRACK#Delilah',
  EntityType: 'Track',
  Duration: 245,
  Features: ['Delilah'],
}
const typed = {
  ArtistID: {S: 'Fred again..'},
  ItemID: {S: 'TRACK#Delilah'},
  EntityType: {S: 'Track'},
  Duration: {N: '245'},
  Features: {L: [{S: 'Delilah'}]},
}

let pipeline: LocalPipeline
let cli: (args: string[], input?: string) => ReturnType<typeof runCli>
let dir: string

const file = (name: string, record: unknown): string => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(record))
  return path
}
const json = async (args: string[]) => {
  const run = await cli([...args, '--json'])
  return {exitCode: run.exitCode, stderr: run.stderr, ...JSON.parse(run.stdout)}
}
/** Objects the pipeline has handled so far, whatever became of them. */
const handled = async () => {
  await pipeline.idle()
  return Object.values(pipeline.stats()).reduce((sum, n) => sum + n, 0)
}

beforeAll(async () => {
  ;({pipeline, cli} = await startPipelineForCli())
  dir = tempDir('ep-reupload-')
  const first = await json(['upload', file('delilah.json', plain), '--wait'])
  expect(first.result.files[0].outcome.state).toBe('stored')
})
afterAll(() => pipeline?.stop())

describe('re-uploading a stored record', () => {
  it('under the same key, or a new key in typed form, is reported unchanged before sending, and nothing is sent', async () => {
    const before = await handled()
    const again = await json(['upload', join(dir, 'delilah.json'), file('delilah-typed.json', typed), '--wait'])
    expect(again.exitCode).toBe(0)
    expect(again.status).toBe(0)
    expect(again.result.summary).toMatchObject({files: 2, uploaded: 0, unchanged: 2, failed: 0, notAttempted: 0})
    expect(again.result.files.map((f: {status: string}) => f.status)).toEqual(['unchanged', 'unchanged'])
    expect(await handled()).toBe(before)
    // The key that was never sent has no history; the first keeps its one upload.
    const status = await json(['status', 'delilah.json', 'delilah-typed.json'])
    expect(status.result.keys.map((k: {state: string}) => k.state)).toEqual(['stored', 'not-found'])
    expect(status.result.keys[0].history).toHaveLength(1)
  })

  it('with changed content is sent and ends a duplicate (exit 1)', async () => {
    const changed = await json(['upload', file('delilah-changed.json', {...plain, Duration: 246}), '--wait'])
    expect(changed.exitCode).toBe(1)
    expect(changed.result.files[0]).toMatchObject({
      status: 'uploaded',
      outcome: {state: 'quarantined', reason: 'duplicate'},
    })
  })

  it('with --force is sent, and the pipeline settles it on unchanged: upload --wait and status say so (exit 0)', async () => {
    // The same record in other bytes (typed, under the same key): another upload of the same record. (The very same
    // bytes again would be the same upload, key + ETag, and simply stay stored.)
    const forced = await json(['upload', file('delilah.json', typed), '--force', '--wait'])
    expect(forced.result.files[0]).toMatchObject({status: 'uploaded', outcome: {state: 'unchanged'}})
    expect(forced.result.summary).toMatchObject({uploaded: 1, unchanged: 1, stored: 0, quarantined: 0, pending: 0})
    expect(forced.exitCode).toBe(0)
    const status = await json(['status', 'delilah.json'])
    expect(status.exitCode).toBe(0)
    expect(status.result.keys[0].state).toBe('unchanged')
    expect(status.result.keys[0].history.map((upload: {state: string}) => upload.state)).toEqual([
      'unchanged',
      'stored',
    ])
  })
})

describe('uploading another folder of the same layout', () => {
  it('warns, on stderr and in the --json warnings, of the key an earlier upload used for another version', async () => {
    const folder = join(dir, 'dir-E')
    mkdirSync(folder)
    writeFileSync(join(folder, 'delilah.json'), JSON.stringify({...plain, Duration: 300}))
    const text = await cli(['upload', folder, '--wait'])
    expect(text.exitCode).toBe(1)
    expect(text.stderr).toContain(
      'Warning: 1 file was sent under keys an earlier upload used for another version of the same records ' +
        '(delilah.json)',
    )
    expect(text.stderr).toContain('e.g. --prefix dir-E/.')
    const again = await json(['upload', folder, '--wait'])
    expect(again.warnings).toContainEqual(expect.stringContaining('(delilah.json)'))
    expect(again.result.files[0]).toMatchObject({keyUsedBefore: {at: expect.any(String)}})
  })
})
