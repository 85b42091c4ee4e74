import {existsSync} from 'node:fs'

import {expect, it} from 'vitest'

import {packIntoBatches, removeBatchFiles} from '#upload/pack.js'
import {planUpload} from '#upload/plan.js'
import {sameArtistSong, temporaryFolders} from './folders.js'

// `upload --batch` removes its batch files in a `finally`: files already gone (removed before, or by the OS's temp
// cleaner) must not turn the upload into a failure.

const folder = temporaryFolders('ep-batch-files-gone')

it('removes the batch files, and removing them again does nothing', async () => {
  const planned = await planUpload(
    [folder({'a.json': sameArtistSong('1', 100), 'b.json': sameArtistSong('2', 100)})],
    {},
  )
  const packing = await packIntoBatches(planned, 2, {validate: true})
  await removeBatchFiles(packing)
  expect(existsSync(packing.directory)).toBe(false)
  await expect(removeBatchFiles(packing)).resolves.toBeUndefined()
})
