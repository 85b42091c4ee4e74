import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {MAX_RECORD_ITEM_BYTES} from '#contract/limits.js'
import {checkRecord} from '#record/check-record.js'
import {dynamoDbItemBytes} from '#record/item-size.js'
import type {TypedItem, TypedValue} from '#record/typed-item.js'

const runs = Math.max(10, Math.round(200 * Number(process.env.PROPERTY_RUNS_SCALE ?? 1)))

// An independent count of DynamoDB's item size rules: names and strings are their UTF-8 bytes (Node's own encoder);
// a number is one byte per two significant digits (leading and trailing zeros trimmed) plus one; a list is 3 bytes
// plus one per element.
const significantDigits = (digits: string): number => {
  let n = BigInt(digits)
  if (n === 0n) return 1
  while (n % 10n === 0n) n /= 10n
  return n.toString().length
}
const referenceValue = (value: TypedValue): number =>
  'S' in value
    ? Buffer.byteLength(value.S)
    : 'N' in value
      ? Math.ceil(significantDigits(value.N) / 2) + 1
      : 3 + value.L.reduce((sum, element) => sum + 1 + referenceValue(element), 0)
const reference = (item: TypedItem): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + referenceValue(value), 0)

describe('the DynamoDB item size of a record', () => {
  it('counts text in UTF-8 bytes at each encoding boundary, lone surrogates as the replacement character', () => {
    const cases: [string, number][] = [
      ['\u007f', 1],
      ['\u0080', 2],
      ['\u07ff', 2],
      ['\u0800', 3],
      ['\uffff', 3],
      ['😀', 4],
      ['\ud800', 3],
      ['\udc00', 3],
      ['\ud800a', 4],
      ['\ud800\ud800', 6],
      ['\ud800é', 5],
      ['\ud800\ue000', 6],
      ['a😀é\u0800', 1 + 4 + 2 + 3],
    ]
    for (const [text, bytes] of cases) expect(dynamoDbItemBytes({T: {S: text}}), JSON.stringify(text)).toBe(1 + bytes)
    expect(dynamoDbItemBytes({Tïtle: {S: ''}})).toBe(6)
  })

  it('counts a number by its significant digits, two to a byte, plus one', () => {
    const cases: [string, number][] = [
      ['0', 2],
      ['000', 2],
      ['7', 2],
      ['12', 2],
      ['123', 3],
      ['0123', 3],
      ['00123', 3],
      ['1000', 2],
      ['00100200', 3],
      ['12345678901234567890123456789012345678', 20],
    ]
    for (const [digits, bytes] of cases) expect(dynamoDbItemBytes({N: {N: digits}}), digits).toBe(1 + bytes)
  })

  it('counts a list as 3 bytes plus one per element', () => {
    expect(dynamoDbItemBytes({L: {L: []}})).toBe(1 + 3)
    expect(dynamoDbItemBytes({L: {L: [{S: 'ab'}, {S: 'é'}]}})).toBe(1 + 3 + (1 + 2) + (1 + 2))
  })

  it('equals an independent count for any text and any whole number', () => {
    const value: fc.Arbitrary<TypedValue> = fc.oneof(
      fc.string({unit: 'binary'}).map((S) => ({S})),
      fc.stringMatching(/^[0-9]{1,38}$/).map((N) => ({N})),
      fc
        .array(
          fc.string({unit: 'binary'}).map((S) => ({S})),
          {maxLength: 5},
        )
        .map((L) => ({L})),
    )
    fc.assert(
      fc.property(fc.dictionary(fc.string({unit: 'binary', minLength: 1}), value), (item) => {
        expect(dynamoDbItemBytes(item)).toBe(reference(item))
      }),
      {numRuns: runs},
    )
  })
})

describe('a record at the size limits', () => {
  const check = (record: Record<string, unknown>) => checkRecord(Buffer.from(JSON.stringify(record)))

  it('is stored at exactly the item limit, and refused one byte past it with its size', () => {
    const base = {ArtistID: 'A', ItemID: 'TRACK#1', Title: ''}
    const room = MAX_RECORD_ITEM_BYTES - reference({ArtistID: {S: 'A'}, ItemID: {S: 'TRACK#1'}, Title: {S: ''}})
    // Two-byte characters, so a count of characters instead of bytes would be off.
    const atLimit = {...base, Title: 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2)}
    expect(check(atLimit)).toMatchObject({ok: true, itemBytes: MAX_RECORD_ITEM_BYTES})
    expect(check({...atLimit, Title: `${atLimit.Title}a`})).toEqual({
      ok: false,
      reason: 'too-large',
      problems: [
        {
          path: '',
          line: 1,
          column: 1,
          message:
            `the record is ${MAX_RECORD_ITEM_BYTES + 1} bytes as a DynamoDB item; the limit is ${MAX_RECORD_ITEM_BYTES} ` +
            `bytes (400 KB less room for the pipeline's metadata)`,
        },
      ],
    })
  })

  // DynamoDB's documented key limits, written here as literals: a test computed from the constants it checks would
  // follow a wrong constant (an ItemID limit of 2,048 would let DynamoDB refuse what the check passed).
  it("has keys of exactly DynamoDB's limits (2,048 and 1,024 bytes) stored, and one byte more refused, at the key", () => {
    const artist = 'é'.repeat(1024)
    const itemId = `TRACK#${'x'.repeat(1018)}`
    expect(Buffer.byteLength(artist)).toBe(2048)
    expect(Buffer.byteLength(itemId)).toBe(1024)
    expect(check({ArtistID: artist, ItemID: itemId})).toMatchObject({ok: true})
    expect(check({ArtistID: `${artist}a`, ItemID: itemId})).toEqual({
      ok: false,
      reason: 'too-large',
      problems: [
        {
          path: '/ArtistID',
          line: 1,
          column: 13,
          message: 'ArtistID is 2049 bytes; DynamoDB allows at most 2048 bytes for this key',
        },
      ],
    })
    expect(check({ArtistID: 'A', ItemID: `${itemId}x`})).toMatchObject({
      ok: false,
      reason: 'too-large',
      problems: [{path: '/ItemID', message: 'ItemID is 1025 bytes; DynamoDB allows at most 1024 bytes for this key'}],
    })
  })
})
