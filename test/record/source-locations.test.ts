import {expect, it} from 'vitest'

import {checkRecord} from '#record/check-record.js'
import {lineAndColumn} from '#record/source-position.js'

const problemsOf = (text: string) => {
  const result = checkRecord(Buffer.from(text))
  expect(result.ok, text).toBe(false)
  return result.ok ? [] : result.problems
}
const unknown = (name: string) =>
  `unknown attribute ${JSON.stringify(name)}: allowed attributes are ` +
  'ArtistID, ItemID, Title, EntityType, Duration, Streams, Year, Features'

it('an unknown attribute with / or ~ in its name is pointed at by an escaped JSON pointer, at its name', () => {
  expect(problemsOf('{"ArtistID": "A", "ItemID": "TRACK#1",\n  "a/b~c": 1}')).toEqual([
    {path: '/a~1b~0c', line: 2, column: 3, message: unknown('a/b~c')},
  ])
})

it('an unknown attribute named by digits is found by its name, not taken for a list position', () => {
  expect(problemsOf('{"ArtistID": "A", "ItemID": "TRACK#1", "12": 1}')).toEqual([
    {path: '/12', line: 1, column: 40, message: unknown('12')},
  ])
})

it('a list element past the ninth is located at itself', () => {
  const features = JSON.stringify([...'abcdefghij', 1])
  expect(problemsOf(`{"ArtistID": "A", "ItemID": "TRACK#1", "Features": ${features}}`)).toEqual([
    {
      path: '/Features/10',
      line: 1,
      column: 52 + features.lastIndexOf('1'),
      message: 'Features[10] must be a text, got 1',
    },
  ])
})

it('a position on a newline is the end of its own line', () => {
  expect(lineAndColumn('ab\ncd', 2)).toEqual({line: 1, column: 3})
  expect(lineAndColumn('ab\ncd', 3)).toEqual({line: 2, column: 1})
})

it('a number too large to be exact under an unknown name with / in it is pointed at by an escaped pointer, and named as written', () => {
  const text = '{"ArtistID": "A", "ItemID": "TRACK#1",\n  "a/b": 12345678901234567890}'
  expect(problemsOf(text)).toEqual([
    {path: '/a~1b', line: 2, column: 3, message: unknown('a/b')},
    {
      path: '/a~1b',
      line: 2,
      column: 10,
      message: 'a/b is too large a number to be exact in JSON; write it as {"N": "<digits>"}',
    },
  ])
})
