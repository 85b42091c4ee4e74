import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {MAX_OBJECT_BYTES, MAX_PARTITION_KEY_BYTES, MAX_RECORD_ITEM_BYTES, MAX_SORT_KEY_BYTES} from '#contract/limits.js'
import {checkRecord} from '#record/check-record.js'
import {normaliseRecord, toPlainRecord} from '#record/normalise.js'

// The oracles here are written independently of the code they check: the typed form and the DynamoDB item size are
// computed from the plain record by this file alone (Buffer.byteLength for text, DynamoDB's documented number size).

/** The record check never answers `duplicate`: only the table can tell that. */
const CHECK_REASONS = ['invalid-json', 'not-utf8', 'too-large', 'schema']

function expectWellFormedVerdict(bytes: Uint8Array) {
  const result = checkRecord(bytes)
  if (result.ok) return
  expect(CHECK_REASONS).toContain(result.reason)
  expect(result.problems.length).toBeGreaterThan(0)
  for (const problem of result.problems) expect(problem.message.length).toBeGreaterThan(5)
}

type Plain = Record<string, string | number | string[]>
type Typed = Record<string, {S: string} | {N: string} | {L: {S: string}[]}>

/** The typed form a plain record stands for: text is S, a whole number N, a list of texts L of S. */
function typedOracle(plain: Plain): Typed {
  return Object.fromEntries(
    Object.entries(plain).map(([name, value]) => [
      name,
      typeof value === 'number' ? {N: String(value)} : Array.isArray(value) ? {L: value.map((S) => ({S}))} : {S: value},
    ]),
  )
}

/** DynamoDB's item size: UTF-8 bytes of names and texts; a number is 1 byte per 2 significant digits, plus 1. */
function itemBytesOracle(typed: Typed): number {
  const numberBytes = (digits: string) =>
    Math.ceil(Math.max(1, digits.replace(/^0+/, '').replace(/0+$/, '').length) / 2) + 1
  const valueBytes = (value: Typed[string]): number =>
    'S' in value
      ? Buffer.byteLength(value.S, 'utf8')
      : 'N' in value
        ? numberBytes(value.N)
        : 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0)
  return Object.entries(typed).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0)
}

/** Any Unicode text: astral characters (4 UTF-8 bytes), 2- and 3-byte ones, controls, no lone surrogates. */
const text = (constraints: {minLength?: number; maxLength?: number} = {}) =>
  fc.oneof(
    fc.string({unit: 'binary', ...constraints}),
    fc.string({unit: fc.constantFrom('é', 'ß', '€', '日', '😀', '𝄞', 'a'), ...constraints}),
  )
/** `.` in the ItemID pattern matches no line terminator. */
const title = text({minLength: 1, maxLength: 300}).filter((t) => !/[\n\r\u2028\u2029]/.test(t))

/** Valid plain records, with long texts now and then. */
const validRecord: fc.Arbitrary<Plain> = fc
  .record(
    {
      ArtistID: fc.oneof(text({minLength: 1, maxLength: 100}), text({minLength: 200, maxLength: 500})),
      kind: fc.constantFrom('Track', 'Album'),
      title,
      Title: fc.oneof(text({maxLength: 50}), text({minLength: 1000, maxLength: 5000})),
      Duration: fc.nat(),
      Streams: fc.maxSafeNat(),
      Year: fc.integer({min: 1000, max: 9999}),
      Features: fc.array(text({maxLength: 40}), {maxLength: 8}),
      withEntityType: fc.boolean(),
    },
    {requiredKeys: ['ArtistID', 'kind', 'title', 'withEntityType']},
  )
  .map(({kind, title, withEntityType, ...rest}) => ({
    ...rest,
    ItemID: `${kind.toUpperCase()}#${title}`,
    ...(withEntityType ? {EntityType: kind} : {}),
  }))

/** One attribute given a value the schema refuses, each kind of mistake people make. */
const corruption = fc.constantFrom<[string, unknown]>(
  ['ArtistID', ''],
  ['ArtistID', 42],
  ['ArtistID', null],
  ['ItemID', 'SONG#Title'],
  ['ItemID', 'TRACK#'],
  ['ItemID', 'TRACK#two\nlines'],
  ['ItemID', ['TRACK#x']],
  ['Title', 7],
  ['Title', {N: '7'}],
  ['Duration', -1],
  ['Duration', 1.5],
  ['Duration', '200'],
  ['Streams', {S: '1'}],
  ['Streams', {N: '1e3'}],
  ['Year', 123],
  ['Year', 20240],
  ['Features', 'Isoxo'],
  ['Features', [1]],
  ['Features', {L: [{N: '1'}]}],
  ['EntityType', 'Single'],
  ['Bogus', 'x'],
)

/** Property runs, scaled down where each run repeats many times over (mutation testing sets the scale). */
const runs = (n: number) => Math.max(20, Math.round(n * Number(process.env.PROPERTY_RUNS_SCALE ?? 1)))

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8')

describe('the record check, on anything', () => {
  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectWellFormedVerdict(Buffer.from(JSON.stringify(value) ?? ''))),
      {numRuns: runs(2000)},
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
      {numRuns: runs(2000)},
    )
  })

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 512}), (bytes) => expectWellFormedVerdict(bytes)),
      {numRuns: runs(2000)},
    )
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 300}), (text) => expectWellFormedVerdict(Buffer.from(text))),
      {numRuns: runs(2000)},
    )
  })
})

describe('valid records', () => {
  it('are accepted, as the typed item they stand for, with its DynamoDB size counted byte for byte', () => {
    fc.assert(
      fc.property(validRecord, (plain) => {
        const result = checkRecord(bytesOf(plain))
        const typed = typedOracle(plain)
        expect(result).toEqual({ok: true, item: typed, itemBytes: itemBytesOracle(typed)})
      }),
      {numRuns: runs(500)},
    )
  })

  it('in typed form get the same verdict and item as in plain form', () => {
    fc.assert(
      fc.property(validRecord, (plain) => {
        expect(checkRecord(bytesOf(typedOracle(plain)))).toEqual(checkRecord(bytesOf(plain)))
      }),
      {numRuns: runs(300)},
    )
  })

  it('plain → typed → plain round-trips', () => {
    fc.assert(
      fc.property(validRecord, (plain) => {
        const {item} = normaliseRecord(plain)
        expect(toPlainRecord(item as never)).toEqual(plain)
      }),
      {numRuns: runs(300)},
    )
  })
})

describe('one corrupted attribute', () => {
  it('is refused as schema, with the problem at that attribute, never as a duplicate', () => {
    fc.assert(
      fc.property(validRecord, corruption, (plain, [name, value]) => {
        const result = checkRecord(bytesOf({...plain, [name]: value}))
        expect(result.ok).toBe(false)
        if (result.ok) return
        expect(result.reason).toBe('schema')
        const paths = result.problems.map((problem) => problem.path)
        expect(
          paths.some((path) => path === `/${name}` || path.startsWith(`/${name}/`)),
          paths.join(' '),
        ).toBe(true)
      }),
      {numRuns: runs(500)},
    )
  })
})

describe('limits, exactly at and one past each', () => {
  const record = (extra: Plain = {}): Plain => ({ArtistID: 'Limits', ItemID: 'TRACK#Edge', ...extra})
  const accepted = (bytes: Uint8Array) => expect(checkRecord(bytes)).toMatchObject({ok: true})
  const tooLarge = (bytes: Uint8Array, path = '') =>
    expect(checkRecord(bytes)).toMatchObject({
      ok: false,
      reason: 'too-large',
      problems: [expect.objectContaining({path})],
    })

  it(`an object of ${MAX_OBJECT_BYTES} bytes is read; one byte more is too large`, () => {
    const json = JSON.stringify(record())
    const padded = (size: number) => Buffer.from(json + ' '.repeat(size - json.length))
    expect(padded(MAX_OBJECT_BYTES).length).toBe(MAX_OBJECT_BYTES)
    accepted(padded(MAX_OBJECT_BYTES))
    tooLarge(padded(MAX_OBJECT_BYTES + 1))
  })

  // Keys of 1-, 2-, 3- and 4-byte characters: the limits are in UTF-8 bytes, not characters.
  const fill = (bytes: number, char: string) =>
    char.repeat(Math.floor(bytes / Buffer.byteLength(char))) + 'a'.repeat(bytes % Buffer.byteLength(char))

  it.each(['a', 'é', '€', '😀'])(
    `ArtistID of ${MAX_PARTITION_KEY_BYTES} bytes of "%s" is accepted; one more is too large`,
    (char) => {
      accepted(bytesOf(record({ArtistID: fill(MAX_PARTITION_KEY_BYTES, char)})))
      tooLarge(bytesOf(record({ArtistID: fill(MAX_PARTITION_KEY_BYTES + 1, char)})), '/ArtistID')
    },
  )

  it.each(['a', 'é', '€', '😀'])(
    `ItemID of ${MAX_SORT_KEY_BYTES} bytes of "%s" is accepted; one more is too large`,
    (char) => {
      accepted(bytesOf(record({ItemID: `TRACK#${fill(MAX_SORT_KEY_BYTES - 6, char)}`})))
      tooLarge(bytesOf(record({ItemID: `TRACK#${fill(MAX_SORT_KEY_BYTES - 5, char)}`})), '/ItemID')
    },
  )

  it.each(['a', 'é', '€', '😀'])(
    `an item of ${MAX_RECORD_ITEM_BYTES} bytes of "%s" is accepted; one more is too large`,
    (char) => {
      // The Title fills what the rest of the item leaves, in the oracle's count.
      const withTitle = (bytes: number) => record({Duration: 1200, Features: ['ü', '日本'], Title: fill(bytes, char)})
      const titleBytes = MAX_RECORD_ITEM_BYTES - itemBytesOracle(typedOracle(withTitle(0)))
      const atLimit = checkRecord(bytesOf(withTitle(titleBytes)))
      expect(atLimit).toMatchObject({ok: true, itemBytes: MAX_RECORD_ITEM_BYTES})
      tooLarge(bytesOf(withTitle(titleBytes + 1)))
    },
  )
})
