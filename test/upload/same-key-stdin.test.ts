import {Readable} from 'node:stream'

import {expect, it, vi} from 'vitest'

import {planUpload} from '#upload/plan.js'
import {sameKeyPairs} from '#upload/same-key.js'
import {sameArtistSong, temporaryFolders} from './folders.js'

// Standard input can be read only once: the check for two versions of one record does not read it ahead.

const folder = temporaryFolders('ep-same-key-stdin')

it('leaves standard input out of the same-key check, though it holds another version of a file record', async () => {
  vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from([Buffer.from(sameArtistSong('1', 200))]) as never)
  const planned = [
    ...(await planUpload([folder({'a.json': sameArtistSong('1', 100)})], {})),
    {file: {displayPath: '<stdin>', relativePath: 'b.json'}, key: 'b.json'},
  ]
  expect(await sameKeyPairs(planned)).toEqual([])
})
