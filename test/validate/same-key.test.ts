import {describe, expect, it} from 'vitest'

import {ExitCode} from '#core/exit-codes.js'
import {sameKeyCount, sameKeyLines} from '#validate/same-key.js'
import {validatePaths, validationLines, validationStatus} from '#validate/validate-files.js'
import {sameArtistSong, temporaryFolders} from '../upload/folders.js'

// `validate` finds, offline, the records `upload` would refuse to send together: one ArtistID + ItemID, two contents.

const folder = temporaryFolders('ep-validate-same-key')
const song = sameArtistSong

describe('validate over records with the same ArtistID + ItemID', () => {
  it('names both files, or the batch file line, as a problem of the set: exit 1 though every file is valid', async () => {
    const at = folder({
      'a.json': song('1', 100),
      'b.json': song('1', 200),
      'catalog.ndjson': `${song('3', 1)}\n${song('2', 999)}\n`,
      'other.json': song('2', 100),
    })
    const result = await validatePaths(['a.json', 'b.json', 'catalog.ndjson', 'other.json'].map((f) => `${at}/${f}`))
    expect(result.summary).toEqual({checked: 4, valid: 4, invalid: 0})
    expect(result.sameKey).toEqual([
      {first: `${at}/a.json`, second: `${at}/b.json`, artistId: 'Same', itemId: 'TRACK#1'},
      {first: `${at}/catalog.ndjson:2`, second: `${at}/other.json`, artistId: 'Same', itemId: 'TRACK#2'},
    ])
    expect(validationStatus(result)).toBe(ExitCode.Negative)
    expect(validationLines(result)).toEqual([
      `${at}/catalog.ndjson: 2 records, 2 valid, 0 invalid.`,
      '2 pairs of records each have the same ArtistID + ItemID and different content: uploaded together, which of ' +
        'each pair the pipeline kept would be chance; keep the right one.',
      `  ${at}/a.json and ${at}/b.json: ArtistID "Same" + ItemID "TRACK#1"`,
      `  ${at}/catalog.ndjson:2 and ${at}/other.json: ArtistID "Same" + ItemID "TRACK#2"`,
      'Checked 4 files: 4 valid, 0 invalid.',
    ])
  })

  it('lets the same record twice pass, plain or typed (upload stores it once, the other unchanged)', async () => {
    const at = folder({
      'a.json': song('1', 100),
      'b.json': '{"ArtistID": {"S": "Same"}, "ItemID": {"S": "TRACK#1"}, "Duration": {"N": "100"}}',
      'twice.ndjson': `${song('1', 100)}\n${song('1', 100)}\n`,
    })
    const result = await validatePaths([at])
    expect(result.sameKey).toEqual([])
    expect(validationStatus(result)).toBe(ExitCode.Success)
  })

  it('leaves an invalid record with a taken key to the record check (one problem, not two)', async () => {
    const at = folder({'a.json': song('1', 100), 'b.json': song('1', -1)})
    const result = await validatePaths([at])
    expect(result.sameKey).toEqual([])
    expect(result.summary.invalid).toBe(1)
  })
})

describe('same-key pairs in words', () => {
  const pairs = (count: number) =>
    Array.from({length: count}, (_, i) => ({
      first: `a${i}.json`,
      second: `b${i}.json`,
      artistId: 'A',
      itemId: `TRACK#${i}`,
    }))

  it('lists up to 20 pairs, then counts the rest', () => {
    expect(sameKeyLines(pairs(1))).toEqual(['a0.json and b0.json: ArtistID "A" + ItemID "TRACK#0"'])
    expect(sameKeyLines(pairs(20))).toHaveLength(20)
    expect(sameKeyLines(pairs(20)).at(-1)).toBe('a19.json and b19.json: ArtistID "A" + ItemID "TRACK#19"')
    const lines = sameKeyLines(pairs(23))
    expect(lines).toHaveLength(21)
    expect(lines.at(-2)).toBe('a19.json and b19.json: ArtistID "A" + ItemID "TRACK#19"')
    expect(lines.at(-1)).toBe('… and 3 more')
  })

  it('says "two records" of one pair, and counts pairs otherwise', () => {
    expect(sameKeyCount(pairs(1))).toBe('two records')
    expect(sameKeyCount(pairs(3))).toBe('3 pairs of records')
  })
})
