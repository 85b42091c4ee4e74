import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {checkRecord} from '#record/check-record.js'
import {normaliseRecord, toPlainRecord} from '#record/normalise.js'

const REASONS = ['invalid-json', 'not-utf8', 'too-large', 'schema', 'duplicate']

function expectWellFormedVerdict(bytes: Uint8Array) {
  const result = checkRecord(bytes)
  if (result.ok) return
  expect(REASONS).toContain(result.reason)
  expect(result.problems.length).toBeGreaterThan(0)
  for (const problem of result.problems) expect(problem.message.length).toBeGreaterThan(5)
}

/** Plain records as people write them: strings, whole numbers and lists of strings. */
const plainRecord = fc.record(
  {
    ArtistID: fc.string({minLength: 1}),
    ItemID: fc
      .tuple(fc.constantFrom('TRACK#', 'ALBUM#'), fc.string({minLength: 1}))
      .map(([prefix, title]) => prefix + title),
    Title: fc.string(),
    Duration: fc.nat(),
    Streams: fc.maxSafeNat(),
    Year: fc.integer({min: 1000, max: 9999}),
    Features: fc.array(fc.string(), {maxLength: 5}),
  },
  {requiredKeys: ['ArtistID', 'ItemID']},
)

describe('the record check, on anything', () => {
  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectWellFormedVerdict(Buffer.from(JSON.stringify(value) ?? ''))),
      {numRuns: 2000},
    )
  })

  it('never throws on arbitrary objects with record-like attribute names', () => {
    const attribute = fc.constantFrom(
      'ArtistID',
      'ItemID',
      'Title',
      'EntityType',
      'Duration',
      'Streams',
      'Year',
      'Features',
      '__proto__',
      'S',
      'N',
      'L',
    )
    const value = fc.jsonValue({maxDepth: 3})
    const typedish = fc.dictionary(fc.constantFrom('S', 'N', 'L', 'M', 'BOOL'), value, {maxKeys: 2})
    fc.assert(
      fc.property(fc.dictionary(attribute, fc.oneof(value, typedish)), (record) =>
        expectWellFormedVerdict(Buffer.from(JSON.stringify(record))),
      ),
      {numRuns: 2000},
    )
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 512}), (bytes) => expectWellFormedVerdict(bytes)),
      {numRuns: 2000},
    )
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 300}), (text) => expectWellFormedVerdict(Buffer.from(text))),
      {numRuns: 2000},
    )
  })
})

describe('plain and typed forms', () => {
  it('plain → typed → plain round-trips', () => {
    fc.assert(
      fc.property(plainRecord, (plain) => {
        const {item} = normaliseRecord(plain)
        expect(toPlainRecord(item as never)).toEqual(plain)
      }),
      {numRuns: 1000},
    )
  })

  it('a plain record and its typed form get the same verdict and the same item', () => {
    fc.assert(
      fc.property(plainRecord, (plain) => {
        const typed = normaliseRecord(plain).item
        expect(checkRecord(Buffer.from(JSON.stringify(plain)))).toEqual(checkRecord(Buffer.from(JSON.stringify(typed))))
      }),
      {numRuns: 1000},
    )
  })
})
