import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {sameArtistSong, temporaryFolders} from '../upload/folders.js'

// The built CLI refusing two versions of one record in one upload (the pairs themselves: test/upload/same-key.test.ts,
// in-process, which mutation testing runs).

const folder = temporaryFolders('ep-same-key-cli')
const song = sameArtistSong

describe('upload of two versions of one record', () => {
  it('exits 1 naming both files, sends nothing, and says what --no-validate does', async () => {
    const at = folder({'dir-A/song.json': song('1', 100), 'dir-B/song.json': song('1', 200)})
    const run = await runCli(['upload', at, '--dry-run'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`${at}/dir-A/song.json and ${at}/dir-B/song.json: ArtistID "Same" + ItemID "TRACK#1"`)
    expect(run.stderr).toContain('--no-validate sends them all the same and lets the pipeline decide')
    expect(run.stdout).not.toContain('would upload')
  })
})
