import {describe, expect, it} from 'vitest'

import {planUpload} from '#upload/plan.js'
import {sameKeyPairs} from '#upload/same-key.js'
import {sameArtistSong, temporaryFolders} from './folders.js'

// Two versions of one record in one upload: the pipeline would store whichever it processed first, so `upload`
// names both and sends nothing.

const folder = temporaryFolders('ep-same-key')
const song = sameArtistSong

describe('sameKeyPairs', () => {
  it('names both files, and the batch file line, of records with one ArtistID + ItemID and different content', async () => {
    const at = folder({
      'dir-A/song.json': song('1', 100),
      'dir-B/song.json': song('1', 200),
      'other.json': song('2', 100),
      'catalog.ndjson': `${song('3', 1)}\n${song('2', 999)}\n`,
    })
    const pairs = await sameKeyPairs(await planUpload([at], {}))
    expect(pairs).toEqual([
      {first: `${at}/dir-A/song.json`, second: `${at}/dir-B/song.json`, artistId: 'Same', itemId: 'TRACK#1'},
      {first: `${at}/catalog.ndjson:2`, second: `${at}/other.json`, artistId: 'Same', itemId: 'TRACK#2'},
    ])
  })

  it('lets the same record twice pass, plain or typed (it is stored once), and leaves invalid records to the check', async () => {
    const at = folder({
      'a.json': song('1', 100),
      'b.json': '{"ArtistID": {"S": "Same"}, "ItemID": {"S": "TRACK#1"}, "Duration": {"N": "100"}}',
      'c.json': '{"ArtistID": "Same", "ItemID": "TRACK#1", "Duration": -1}',
    })
    expect(await sameKeyPairs(await planUpload([at], {}))).toEqual([])
  })
})
