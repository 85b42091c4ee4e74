import {expect, it} from 'vitest'

import {canonicalNumber, sameRecord} from '#record/same-record.js'

const record = (features: unknown) => ({ArtistID: 'A', ItemID: 'TRACK#1', Features: features})

it('finds a list with one element more or fewer a different record, plain or typed', () => {
  expect(sameRecord(record(['a']), record(['a', 'b']))).toBe(false)
  expect(sameRecord(record(['a', 'b']), record(['a']))).toBe(false)
  expect(sameRecord(record({L: []}), record({L: [{S: 'a'}]}))).toBe(false)
  expect(sameRecord(record(['a', 'b']), record({L: [{S: 'a'}, {S: 'b'}]}))).toBe(true)
})

it('writes a number in exponent form only beyond an exponent of 200, either way', () => {
  expect(canonicalNumber('1e200')).toBe(`1${'0'.repeat(200)}`)
  expect(canonicalNumber('1e201')).toBe('1e201')
  expect(canonicalNumber('-1e-200')).toBe(`-0.${'0'.repeat(199)}1`)
  expect(canonicalNumber('1e-201')).toBe('1e-201')
})
