import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {tempDir} from '../helpers/temp-dirs.js'

// `upload --batch` of a folder with one bad file: `status` of that file and `quarantine list` name it, though its
// record went as a line of a batch object.

let local: {pipeline: LocalPipeline; env: NodeJS.ProcessEnv}
let dir: string
/** The built CLI on the local pipeline, run in `dir`, so that paths are given as a user in that folder types them. */
const cli = (args: string[]) => runCli([...args, '--local'], {env: local.env, cwd: dir})

beforeAll(async () => {
  local = await startPipelineForCli()
  dir = tempDir('ep-packed-names-')
  mkdirSync(join(dir, 'dir-A/artist-000'), {recursive: true})
  const song = (n: number, duration: unknown) =>
    JSON.stringify({ArtistID: 'Packed Names', ItemID: `TRACK#${n}`, EntityType: 'Track', Duration: duration}, null, 2)
  writeFileSync(join(dir, 'dir-A/artist-000/song-3999.json'), song(3999, 60))
  writeFileSync(join(dir, 'dir-A/artist-000/song-4000.json'), song(4000, 'four minutes'))
  writeFileSync(join(dir, 'dir-A/artist-000/song-4001.json'), song(4001, 61))
})
afterAll(() => local?.pipeline.stop())

describe('upload --batch of a folder with one bad file', () => {
  it('status of that file says quarantined, with its entry, batch object and line; quarantine list and show name the file', async () => {
    const sent = await cli(['upload', 'dir-A', '--batch', '10', '--no-validate', '--wait', '--json'])
    expect(sent.exitCode).toBe(1)
    const [{key: batch}] = JSON.parse(sent.stdout).result.packed as {key: string}[]

    const status = await cli(['status', 'dir-A/artist-000/song-4000.json', '--json'])
    expect(status.exitCode).toBe(1)
    const [found] = JSON.parse(status.stdout).result.keys
    expect(found).toEqual({
      key: 'song-4000.json',
      state: 'quarantined',
      at: expect.any(String),
      reason: 'schema',
      entry: expect.stringMatching(new RegExp(`^${batch.replaceAll('.', '\\.')}/q-[0-9a-f]{16}$`)),
      packedInto: {key: batch, line: 2},
    })
    const text = await cli(['status', 'dir-A/artist-000/song-4000.json'])
    expect(text.stdout).toBe(
      `quarantined  song-4000.json  schema  [${found.entry}] line 2 of ${batch} (packed by upload --batch)\n`,
    )

    const listed = await cli(['quarantine', 'list'])
    expect(listed.stdout).toMatch(
      new RegExp(`^${found.entry}  line 2  from dir-A/artist-000/song-4000\\.json  \\d+ B  \\S+  schema: `),
    )
    const listedJson = JSON.parse((await cli(['quarantine', 'list', '--json'])).stdout).result
    expect(listedJson.entries).toMatchObject([{key: found.entry, line: 2, file: 'dir-A/artist-000/song-4000.json'}])

    const shown = await cli(['quarantine', 'show', found.entry])
    expect(shown.stdout).toContain(`# ${found.entry}  line 2  from dir-A/artist-000/song-4000.json  `)
    const shownJson = JSON.parse((await cli(['quarantine', 'show', found.entry, '--json'])).stdout).result
    expect(shownJson.entries).toMatchObject([{line: 2, file: 'dir-A/artist-000/song-4000.json'}])
  })
})
