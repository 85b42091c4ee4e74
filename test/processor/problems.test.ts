import {expect, test} from 'vitest'

import {describeProblems} from '#processor/problems.js'

// Why an upload was quarantined, in the words its entry keeps (`message`, which may quote the record) and in those its
// log line and notification carry (`summary`: the reason and where, never a value of the record).

const schema = 'the record does not match the item schema'

test.each([
  ['no problem listed: the reason alone', 'schema', [], {message: schema, summary: schema}],
  [
    'a problem at a line, a column and an attribute',
    'schema',
    [{path: '/Year', line: 3, column: 5, message: 'must be integer, got "MCMXC"'}],
    {
      message: 'line 3, column 5: must be integer, got "MCMXC"',
      summary: `${schema} (line 3, column 5, at /Year)`,
    },
  ],
  [
    'a problem at an attribute only, and two more',
    'schema',
    [
      {path: '/Year', message: 'must be integer, got "MCMXC"'},
      {path: '/Duration', message: 'must be >= 0, got -3'},
      {path: '', message: 'must have required property "ItemID"'},
    ],
    {message: 'must be integer, got "MCMXC" (and 2 more)', summary: `${schema} (at /Year) (and 2 more)`},
  ],
  [
    'a problem at a line only',
    'invalid-json',
    [{path: '', line: 1, column: 14, message: 'Unexpected end of JSON input'}],
    {
      message: 'line 1, column 14: Unexpected end of JSON input',
      summary: 'the object is not well-formed JSON (line 1, column 14)',
    },
  ],
  [
    'a problem with no place',
    'invalid-json',
    [{path: '', message: 'Unexpected end of JSON input'}],
    {message: 'Unexpected end of JSON input', summary: 'the object is not well-formed JSON'},
  ],
] as const)('%s', (_, reason, problems, described) => {
  expect(describeProblems(reason, [...problems])).toEqual(described)
})

test('an unknown attribute named at length is named by its first 64 characters in logs and notifications', () => {
  const name = `card_${'4111111111111111'.repeat(8)}`
  const {summary, message} = describeProblems('schema', [
    {path: `/${name}`, line: 1, column: 2, message: `unknown attribute "${name}"`},
  ])
  expect(summary).toBe(`${schema} (line 1, column 2, at /${name.slice(0, 63)}…)`)
  // The entry, for the quarantine admin only, keeps the name whole.
  expect(message).toContain(name)
})
