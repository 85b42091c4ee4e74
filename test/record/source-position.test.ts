import {describe, expect, it} from 'vitest'

import {describeSyntaxError, jsonPointer, nestingDepth, SourceLocator} from '#record/source-position.js'

// Where in a record's text a problem is: the nesting scan that runs before any parser, the syntax errors, and the
// positions of values by JSON pointer. Texts and positions are counted by hand.

describe('how deep a text nests', () => {
  it('counts objects and lists, closing ones included', () => {
    expect(nestingDepth('{"a":[1,{"b":[]}]}', 10)).toEqual({depth: 4})
    expect(nestingDepth('[[]][]', 10)).toEqual({depth: 2})
    expect(nestingDepth('[][][]', 10)).toEqual({depth: 1})
    expect(nestingDepth('{}{}{}', 10)).toEqual({depth: 1})
  })

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestingDepth('{"a":"[[[{{"}', 10)).toEqual({depth: 1})
    expect(nestingDepth('{"a":"\\"[[[{{"}', 10)).toEqual({depth: 1})
    expect(nestingDepth('["]", [[1]]]', 10)).toEqual({depth: 3})
  })

  it('stops where the nesting first passes the limit, and not at the limit', () => {
    expect(nestingDepth('[[[[', 2)).toEqual({depth: 3, tooDeepAt: 2})
    expect(nestingDepth('[[]]', 2)).toEqual({depth: 2})
  })
})

describe('a syntax error', () => {
  it('is placed and said in words', () => {
    expect(describeSyntaxError('{"a":1,}', 'JSON.parse said so')).toEqual({
      offset: 7,
      message: 'not valid JSON: expected an attribute name in double quotes (is there a trailing comma?)',
    })
    expect(describeSyntaxError('{/* no */}', 'JSON.parse said so')).toEqual({
      offset: 1,
      message: 'not valid JSON: comments are not allowed in JSON',
    })
    expect(describeSyntaxError('', 'JSON.parse said so')).toEqual({
      offset: 0,
      message: 'not valid JSON: expected a value (is there a trailing comma or a missing value?)',
    })
  })
})

describe('a place in a record', () => {
  it('is a JSON pointer, with ~ and / escaped', () => {
    expect(jsonPointer('a/b', 'c~d', 1)).toBe('/a~1b/c~0d/1')
  })

  it('is found by pointer: a value, its name, a list element, or the nearest place that exists', () => {
    const locator = new SourceLocator('{\n  "A": 1,\n  "F": ["x", "y"]\n}')
    expect(locator.locate('/A')).toEqual({line: 2, column: 8})
    expect(locator.locate('/A', true)).toEqual({line: 2, column: 3})
    expect(locator.locate('/F/1')).toEqual({line: 3, column: 14})
    expect(locator.locate('/F/1', true)).toEqual({line: 3, column: 14})
    expect(locator.locate('/F/5')).toEqual({line: 3, column: 8})
    expect(locator.locate('/Gone')).toEqual({line: 1, column: 1})
  })

  it('is the start of a text with nothing in it', () => {
    expect(new SourceLocator('').locate('/A')).toEqual({line: 1, column: 1})
  })
})
