import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll} from 'vitest'

import {removeDir} from '../processor/helpers.js'

/**
 * Folders of files for a test file, under one temporary directory (named after `name`) removed when its tests end:
 * each call makes a new folder holding `contents` (relative path -> text) and gives its path.
 */
export function temporaryFolders(name: string): (contents: Record<string, string>) => string {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`))
  afterAll(() => removeDir(dir))
  return (contents) => {
    const at = mkdtempSync(join(dir, 'files-'))
    for (const [path, body] of Object.entries(contents)) {
      mkdirSync(join(at, path, '..'), {recursive: true})
      writeFileSync(join(at, path), body)
    }
    return at
  }
}

/** A Track of the artist "Same": two of one title share ArtistID + ItemID, whatever their Duration. */
export const sameArtistSong = (title: string, duration: number) =>
  JSON.stringify({ArtistID: 'Same', ItemID: `TRACK#${title}`, Duration: duration})
