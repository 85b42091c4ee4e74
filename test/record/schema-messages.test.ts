import {describe, expect, it} from 'vitest'

import {checkRecord} from '#record/check-record.js'
import {describeValue} from '#record/schema-messages.js'

// The exact words a user reads for each kind of schema problem, and where they point (line 1, column of the value).

const keys = '"ArtistID": "A", "ItemID": "TRACK#1"'
const problemsOf = (text: string) => {
  const result = checkRecord(Buffer.from(text))
  expect(result.ok, text).toBe(false)
  return result.ok ? [] : result.problems
}
/** The one problem of a record with the keys and one more attribute (its value at column 40 + the name's length). */
const problemOf = (attribute: string, value: string) => problemsOf(`{${keys}, "${attribute}": ${value}}`)

const NUMBER = 'a non-negative whole number, as {"N": "234"}'
const LIST = 'a list of texts, as {"L": [{"S": "<name>"}]}'
const at = (column: number) => ({line: 1, column})

describe('a schema problem', () => {
  it('of a plain record says, in plain JSON, what the attribute must be and what it got', () => {
    expect(problemOf('Duration', '3.5')).toEqual([
      {path: '/Duration', ...at(52), message: 'Duration must be a non-negative whole number, as 234, got 3.5'},
    ])
    expect(problemOf('Year', '"24"')).toEqual([
      {path: '/Year', ...at(48), message: 'Year must be a four-digit year, as 2024, got "24"'},
    ])
    expect(problemOf('Title', 'true')).toEqual([
      {path: '/Title', ...at(49), message: 'Title must be "<text>", got true'},
    ])
    expect(problemOf('Title', 'null')).toEqual([
      {path: '/Title', ...at(49), message: 'Title must be "<text>", got null'},
    ])
    expect(problemsOf('{"ArtistID": "", "ItemID": "SONG#Bad 1"}')).toEqual([
      {path: '/ArtistID', ...at(14), message: 'ArtistID must be "<non-empty text>", got ""'},
      {path: '/ItemID', ...at(28), message: 'ItemID must be "TRACK#<title>" or "ALBUM#<title>", got "SONG#Bad 1"'},
    ])
  })

  it('of a typed record, or one typed in part, advises the typed form', () => {
    expect(problemsOf('{"ArtistID": {"S": "A"}, "ItemID": "SONG#Bad 1"}')).toEqual([
      {
        path: '/ItemID',
        ...at(36),
        message: 'ItemID must be {"S": "TRACK#<title>"} or {"S": "ALBUM#<title>"}, got a bare string "SONG#Bad 1"',
      },
    ])
    expect(problemsOf('{"ArtistID": {"S": "A"}, "ItemID": {"S": "TRACK#1"}, "Duration": 3.5}')).toEqual([
      {path: '/Duration', ...at(66), message: `Duration must be ${NUMBER}, got a bare number 3.5`},
    ])
  })

  it('of a typed value points into it, and says when a number was written as a JSON number', () => {
    expect(problemOf('Duration', '{"N": 234}')).toEqual([
      {
        path: '/Duration/N',
        ...at(58),
        message: `Duration must be ${NUMBER}, got {"N": 234} (DynamoDB numbers are written as strings)`,
      },
    ])
    expect(problemOf('Year', '{"N": "24"}')).toEqual([
      {path: '/Year/N', ...at(54), message: 'Year must be a four-digit year, as {"N": "2024"}, got {"N": "24"}'},
    ])
    // The wrong type key: the whole value is wrong, and a number in it is no string-number mistake.
    expect(problemOf('Duration', '{"S": "234"}')).toEqual([
      {path: '/Duration', ...at(52), message: `Duration must be ${NUMBER}, got {"S": "234"}`},
    ])
    expect(problemOf('Title', '{"N": 1}')).toEqual([
      {path: '/Title', ...at(49), message: 'Title must be {"S": "<text>"}, got {"N": 1}'},
    ])
    expect(problemOf('Title', '{}')).toEqual([
      {path: '/Title', ...at(49), message: 'Title must be {"S": "<text>"}, got an empty object {}'},
    ])
  })

  it('of a list says what the list must be, or which element is wrong, plain or typed', () => {
    expect(problemOf('Features', '{"S": "a"}')).toEqual([
      {path: '/Features', ...at(52), message: `Features must be ${LIST}, got {"S": "a"}`},
    ])
    expect(problemOf('Features', '{"L": "x"}')).toEqual([
      {path: '/Features/L', ...at(58), message: `Features must be ${LIST}, got {"L": "x"}`},
    ])
    expect(problemOf('Features', '["a", 2]')).toEqual([
      {path: '/Features/1', ...at(58), message: 'Features[1] must be a text, got 2'},
    ])
    expect(problemOf('Features', '{"L": [{"S": "a"}, "b"]}')).toEqual([
      {path: '/Features/L/1', ...at(71), message: 'Features[1] must be {"S": string}, got a bare string "b"'},
    ])
    expect(problemOf('Features', '{"L": [{"S": "a"}, {"S": 5}]}')).toEqual([
      {path: '/Features/L/1/S', ...at(77), message: 'Features[1] must be {"S": string}, got {"S": 5}'},
    ])
  })

  it('of an EntityType that disagrees with the ItemID says which to use, once, in the form of the record', () => {
    expect(problemOf('EntityType', '"Album"')).toEqual([
      {
        path: '/EntityType',
        ...at(54),
        message: 'EntityType does not match ItemID "TRACK#1": use "Track", or change the ItemID prefix',
      },
    ])
    expect(problemsOf('{"ArtistID": {"S": "A"}, "ItemID": {"S": "ALBUM#1"}, "EntityType": {"S": "Track"}}')).toEqual([
      {
        path: '/EntityType/S',
        ...at(74),
        message: 'EntityType does not match ItemID "ALBUM#1": use {"S": "Album"}, or change the ItemID prefix',
      },
    ])
    // Neither Track nor Album: the plainer problem is said, not the disagreement.
    expect(problemOf('EntityType', '"Single"')).toEqual([
      {
        path: '/EntityType',
        ...at(54),
        message: 'EntityType must be "Track" or "Album", got "Single"',
      },
    ])
  })

  it('of the record as a whole says what is missing, unknown or not an object', () => {
    expect(problemsOf('{"ArtistID": "A"}')).toEqual([
      {
        path: '',
        ...at(1),
        message: 'missing required attribute ItemID: add "ItemID": "TRACK#<title>" or "ALBUM#<title>"',
      },
    ])
    expect(problemsOf('{"ItemID": {"S": "TRACK#1"}}')).toEqual([
      {path: '', ...at(1), message: 'missing required attribute ArtistID: add "ArtistID": {"S": "<non-empty text>"}'},
    ])
    expect(problemOf('Genre', '"x"')).toEqual([
      {
        path: '/Genre',
        ...at(40),
        message:
          'unknown attribute "Genre": allowed attributes are ' +
          'ArtistID, ItemID, Title, EntityType, Duration, Streams, Year, Features',
      },
    ])
    expect(problemsOf('"text"')).toEqual([
      {path: '', ...at(1), message: 'the record must be a JSON object of attributes, got a bare string "text"'},
    ])
  })
})

describe('a value in a message', () => {
  it('in a plain record is the value itself (nothing is "bare" there)', () => {
    expect(describeValue('x', 'plain')).toBe('"x"')
    expect(describeValue(-2.5, 'plain')).toBe('-2.5')
    expect(describeValue([1, 2], 'plain')).toBe('a list of 2')
  })

  it('is described by what it is, with a glimpse of it cut at 40 characters of text', () => {
    expect(describeValue(undefined)).toBe('nothing')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(false)).toBe('false')
    expect(describeValue(-2.5)).toBe('a bare number -2.5')
    expect(describeValue([1, 2])).toBe('a list of 2')
    expect(describeValue('x'.repeat(40))).toBe(`a bare string "${'x'.repeat(40)}"`)
    expect(describeValue('x'.repeat(41))).toBe(`a bare string "${'x'.repeat(40)}…"`)
  })

  it('that is an object shows its one type key and a glimpse of its value cut at 44 characters, or its keys', () => {
    expect(describeValue({})).toBe('an empty object {}')
    expect(describeValue({S: 'a', N: '1', L: [], X: 1, Y: 2})).toBe(
      'an object with 5 keys (S, N, L, X); give exactly one type key',
    )
    expect(describeValue({N: 12})).toBe('{"N": 12}')
    expect(describeValue({L: [1]})).toBe('{"L": […]}')
    expect(describeValue({X: {a: 1}})).toBe('{"X": {…}}')
    // The glimpse of a text is its JSON, quotes included: 42 characters make 44.
    expect(describeValue({S: 'x'.repeat(42)})).toBe(`{"S": "${'x'.repeat(42)}"}`)
    expect(describeValue({S: 'x'.repeat(43)})).toBe(`{"S": "${'x'.repeat(43)}…}`)
  })
})
