import {describe, expect, it} from 'vitest'

import {MAX_OBJECT_BYTES, MAX_RECORD_ITEM_BYTES} from '#contract/limits.js'
import {checkRecord, type RecordCheck} from '#record/check-record.js'

const base = {ArtistID: {S: 'Knock2'}, ItemID: {S: 'TRACK#FeelULuvMe'}}
const check = (record: unknown): RecordCheck =>
  checkRecord(Buffer.from(typeof record === 'string' ? record : JSON.stringify(record)))

function expectValid(record: unknown) {
  const result = check(record)
  expect(result.ok ? [] : result.problems).toEqual([])
}

function expectInvalid(record: unknown, reason: string, message: RegExp) {
  const result = check(record)
  if (result.ok) throw new Error(`expected ${JSON.stringify(record).slice(0, 80)} to be invalid`)
  expect(result.reason).toBe(reason)
  expect(result.problems.map((p) => p.message).join('\n')).toMatch(message)
}

// Each rule of the item schema, with a record that keeps it and one that breaks it.
describe.each([
  {
    rule: 'the root is an object',
    pass: base,
    fail: [[{...base}], 'schema', /the record must be a JSON object of attributes, got a list of 1/],
  },
  {
    rule: 'each attribute value has exactly one type key',
    pass: {...base, Title: {S: 'x'}},
    fail: [
      {...base, Title: {S: 'x', N: '1'}},
      'schema',
      /Title must be \{"S": "<text>"\}, got an object with 2 keys \(S, N\)/,
    ],
  },
  {
    rule: 'ArtistID is required',
    pass: base,
    fail: [
      {ItemID: base.ItemID},
      'schema',
      /missing required attribute ArtistID: add "ArtistID": \{"S": "<non-empty text>"\}/,
    ],
  },
  {
    rule: 'ArtistID is not empty',
    pass: {...base, ArtistID: {S: 'A'}},
    fail: [{...base, ArtistID: {S: ''}}, 'schema', /ArtistID must be \{"S": "<non-empty text>"\}, got \{"S": ""\}/],
  },
  {
    rule: 'ItemID is required',
    pass: base,
    fail: [{ArtistID: base.ArtistID}, 'schema', /missing required attribute ItemID/],
  },
  {
    rule: 'ItemID is TRACK#<title> or ALBUM#<title>',
    pass: {...base, ItemID: {S: 'ALBUM#Nurture'}},
    fail: [
      {...base, ItemID: {S: 'SONG#Nurture'}},
      'schema',
      /ItemID must be \{"S": "TRACK#<title>"\} or \{"S": "ALBUM#<title>"\}, got \{"S": "SONG#Nurture"\}/,
    ],
  },
  {
    rule: 'the title after the ItemID prefix is not empty',
    pass: {...base, ItemID: {S: 'TRACK#x'}},
    fail: [{...base, ItemID: {S: 'TRACK#'}}, 'schema', /ItemID must be/],
  },
  {
    rule: 'Title is a string',
    pass: {...base, Title: {S: 'Feel U Luv Me'}},
    fail: [{...base, Title: {N: '1'}}, 'schema', /Title must be \{"S": "<text>"\}, got \{"N": "1"\}/],
  },
  {
    rule: 'EntityType is Track or Album',
    pass: {...base, EntityType: {S: 'Track'}},
    fail: [
      {...base, EntityType: {S: 'Song'}},
      'schema',
      /EntityType must be \{"S": "Track"\} or \{"S": "Album"\}, got \{"S": "Song"\}/,
    ],
  },
  {
    rule: 'EntityType agrees with the ItemID prefix',
    pass: {...base, ItemID: {S: 'ALBUM#x'}, EntityType: {S: 'Album'}},
    fail: [
      {...base, EntityType: {S: 'Album'}},
      'schema',
      /EntityType does not match ItemID "TRACK#FeelULuvMe": use \{"S": "Track"\}/,
    ],
  },
  {
    rule: 'Duration is a non-negative integer',
    pass: {...base, Duration: {N: '0'}},
    fail: [
      {...base, Duration: {N: '-3'}},
      'schema',
      /Duration must be a non-negative whole number, as \{"N": "234"\}, got \{"N": "-3"\}/,
    ],
  },
  {
    rule: 'Streams is a non-negative integer',
    pass: {...base, Streams: {N: '812000000'}},
    fail: [{...base, Streams: {N: '1.5'}}, 'schema', /Streams must be a non-negative whole number/],
  },
  {
    rule: 'N values are given as strings',
    pass: {...base, Duration: {N: '234'}},
    fail: [{...base, Duration: {N: 234}}, 'schema', /got \{"N": 234\} \(DynamoDB numbers are written as strings\)/],
  },
  {
    rule: 'N values are valid numbers',
    pass: {...base, Streams: {N: '12345678901234567890123456789012345678'}},
    fail: [{...base, Streams: {N: '12abc'}}, 'schema', /Streams must be a non-negative whole number/],
  },
  {
    rule: 'Year is a four-digit year',
    pass: {...base, Year: {N: '2024'}},
    fail: [
      {...base, Year: {N: '99'}},
      'schema',
      /Year must be a four-digit year, as \{"N": "2024"\}, got \{"N": "99"\}/,
    ],
  },
  {
    rule: 'Features is a list of {"S": ...}',
    pass: {...base, Features: {L: [{S: 'Isoxo'}]}},
    fail: [
      {...base, Features: {L: [{S: 'Isoxo'}, 'Jeremiah Red']}},
      'schema',
      /Features\[1\] must be \{"S": string\}, got a bare string "Jeremiah Red"/,
    ],
  },
  {
    rule: 'no attribute outside the list',
    pass: base,
    fail: [
      {...base, Genre: {S: 'House'}},
      'schema',
      /unknown attribute "Genre": allowed attributes are ArtistID, ItemID, Title, EntityType, Duration, Streams, Year, Features/,
    ],
  },
  {
    rule: 'the normalised item fits DynamoDB with room for metadata',
    pass: {...base, Title: {S: 'x'.repeat(MAX_RECORD_ITEM_BYTES - 100)}},
    fail: [
      {...base, Title: {S: 'x'.repeat(MAX_RECORD_ITEM_BYTES)}},
      'too-large',
      /the record is \d+ bytes as a DynamoDB item; the limit is/,
    ],
  },
  {
    rule: 'the file is within the byte cap',
    pass: {...base, Title: {S: 'x'}},
    fail: [
      `${JSON.stringify(base)}${' '.repeat(MAX_OBJECT_BYTES)}`,
      'too-large',
      /the file is \d+ bytes; the limit is 1048576 bytes/,
    ],
  },
  {
    rule: 'ArtistID fits a DynamoDB partition key',
    pass: {...base, ArtistID: {S: 'é'.repeat(1024)}},
    fail: [
      {...base, ArtistID: {S: 'é'.repeat(1025)}},
      'too-large',
      /ArtistID is 2050 bytes; DynamoDB allows at most 2048 bytes/,
    ],
  },
])('rule: $rule', ({pass, fail}) => {
  it('accepts a record that keeps it', () => expectValid(pass))
  it('rejects a record that breaks it, saying how to fix it', () =>
    expectInvalid(...(fail as [unknown, string, RegExp])))
})

describe('plain JSON', () => {
  it('means the same record as its typed form', () => {
    const plain = check({ArtistID: 'Knock2', ItemID: 'TRACK#X', Duration: 234, Features: ['Isoxo']})
    const typed = check({
      ArtistID: {S: 'Knock2'},
      ItemID: {S: 'TRACK#X'},
      Duration: {N: '234'},
      Features: {L: [{S: 'Isoxo'}]},
    })
    expect(plain).toEqual(typed)
    expect(plain.ok).toBe(true)
  })

  it('reports problems at the value as written', () => {
    const result = check('{\n  "ArtistID": "a",\n  "ItemID": "TRACK#b",\n  "Duration": -3\n}')
    expect(result).toMatchObject({ok: false, reason: 'schema', problems: [{path: '/Duration', line: 4, column: 15}]})
  })

  it('refuses integers too large for JSON numbers instead of storing rounded digits', () => {
    expectInvalid(
      '{"ArtistID":"a","ItemID":"TRACK#b","Streams":12345678901234567890}',
      'schema',
      /Streams is too large a number to be exact in JSON/,
    )
  })
})

describe('bad input gets a clear message, never an exception', () => {
  it.each([
    ['an empty file', '', 'invalid-json', /the file is empty/],
    ['only whitespace', ' \n\t', 'invalid-json', /the file is empty/],
    ['a UTF-8 byte-order mark', `\uFEFF${JSON.stringify(base)}`, 'invalid-json', /byte-order mark \(BOM\)/],
    ['a JSON array at the root', '[]', 'schema', /must be a JSON object of attributes, got a list of 0/],
    ['a string at the root', '"x"', 'schema', /must be a JSON object of attributes, got a bare string/],
    [
      'a __proto__ key',
      '{"__proto__":{"S":"x"},"ArtistID":{"S":"a"},"ItemID":{"S":"TRACK#b"}}',
      'schema',
      /unknown attribute "__proto__"/,
    ],
    ['deep nesting', `{"ArtistID":{"S":${'['.repeat(100_000)}`, 'schema', /nested more than 32 levels deep/],
    [
      'deep nesting that parses',
      `{"ArtistID":{"S":${'['.repeat(5000)}${']'.repeat(5000)}},"ItemID":{"S":"TRACK#b"}}`,
      'schema',
      /nested more than 32 levels/,
    ],
  ])('%s', (_label, text, reason, message) => expectInvalid(text, reason, message))

  it('points at malformed JSON', () => {
    const result = check('{\n  "ArtistID": {"S": "a"},\n  "ItemID": {"S": "TRACK#b"},\n}')
    expect(result).toMatchObject({ok: false, reason: 'invalid-json', problems: [{line: 4, column: 1}]})
    expect((result as {problems: {message: string}[]}).problems[0].message).toMatch(/trailing comma/)
  })

  it('points at the first byte that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{\n  "ArtistID": {"S": "Bj'), Buffer.from([0xf6]), Buffer.from('rk"}}')])
    const result = checkRecord(bytes)
    expect(result).toMatchObject({ok: false, reason: 'not-utf8', problems: [{line: 2, column: 24}]})
    expect((result as {problems: {message: string}[]}).problems[0].message).toMatch(
      /byte 0xf6 at offset 25 is not valid UTF-8/,
    )
  })

  it('points at an unknown attribute by its name', () => {
    const result = check('{\n  "ArtistID": {"S": "a"},\n  "ItemID": {"S": "TRACK#b"},\n  "Genre": {"S": "x"}\n}')
    expect(result).toMatchObject({problems: [{path: '/Genre', line: 4, column: 3}]})
  })

  it('reports every problem of a record, in the order they appear', () => {
    const result = check('{"ArtistID":{"S":""},"ItemID":{"S":"SONG#x"},"Year":{"N":"99"}}')
    expect(result.ok).toBe(false)
    expect((result as {problems: {path: string}[]}).problems.map((p) => p.path)).toEqual([
      '/ArtistID/S',
      '/ItemID/S',
      '/Year/N',
    ])
  })
})

describe('the reserved ArtistID of selftest canaries', () => {
  const canary = '{\n  "ArtistID": "eventpulse-selftest",\n  "ItemID": "TRACK#x"\n}'

  it('is refused as schema, located, saying why and what to do, unless the record is a canary', () => {
    const result = checkRecord(Buffer.from(canary))
    expect(result).toEqual({
      ok: false,
      reason: 'schema',
      problems: [
        {
          path: '/ArtistID',
          line: 2,
          column: 15,
          message:
            'ArtistID "eventpulse-selftest" is reserved for the canary records of `eventpulse selftest` ' +
            '(accepted under selftest/ only); use another ArtistID',
        },
      ],
    })
    expect(checkRecord(Buffer.from(canary), {canary: true}).ok).toBe(true)
    // Typed, and in a batch line, alike.
    const typed = JSON.stringify({ArtistID: {S: 'eventpulse-selftest'}, ItemID: {S: 'TRACK#x'}})
    expect(checkRecord(Buffer.from(typed), {line: 3})).toMatchObject({ok: false, reason: 'schema'})
    // Only that ArtistID: one that merely starts like it is anybody's.
    expect(check({ArtistID: 'eventpulse-selftest-2', ItemID: 'TRACK#x'}).ok).toBe(true)
  })
})
