import {describe, expect, it} from 'vitest'

import {MAX_OBJECT_BYTES} from '#contract/limits.js'
import {checkRecord} from '#record/check-record.js'

// Details of the record check a user reads in `validate` and in quarantine entries, each with an oracle of its own
// (positions found in the text itself, bytes written by hand): the survivors of a mutation run over check-record.ts.

const typed = {ArtistID: {S: 'Knock2'}, ItemID: {S: 'TRACK#Dashstar'}}
const check = (text: string, line?: number) => checkRecord(Buffer.from(text), line === undefined ? {} : {line})
const problemsOf = (text: string, line?: number) => {
  const result = check(text, line)
  expect(result.ok, text).toBe(false)
  return result.ok ? [] : result.problems
}

describe('a batch line in DynamoDB export form, {"Item": {…}}', () => {
  it('is the record inside Item: valid as such, and a problem in it is located where it stands in the line', () => {
    expect(check(JSON.stringify({Item: typed}), 7)).toMatchObject({ok: true, item: typed})
    const text = JSON.stringify({Item: {...typed, Year: {N: 'x'}}})
    expect(problemsOf(text, 7)).toEqual([
      expect.objectContaining({path: '/Year/N', line: 7, column: text.indexOf('"x"') + 1}),
    ])
  })

  it('that is a plain record has its problems located where they stand in the line', () => {
    const text = '{"ArtistID":"A","ItemID":"TRACK#T","Duration":{"N":"5"},"Year":{"N":"x"}}'
    expect(problemsOf(text, 3)).toEqual([
      expect.objectContaining({path: '/Year/N', line: 3, column: text.indexOf('"x"') + 1}),
    ])
  })

  it('is that form only with Item alone and an object: otherwise the line is the record, and Item an attribute', () => {
    expect(problemsOf(JSON.stringify({Item: 'x'}), 1).map((p) => p.path)).toContain('/Item')
    expect(problemsOf(JSON.stringify({Item: ['x']}), 1).map((p) => p.path)).toContain('/Item')
    const both = problemsOf(JSON.stringify({Item: typed, Other: {S: 'x'}}), 1).map((p) => p.path)
    expect(both).toEqual(expect.arrayContaining(['/Item', '/Other']))
  })

  it('is never unwrapped in a one-record file', () => {
    expect(problemsOf(JSON.stringify({Item: typed})).map((p) => p.path)).toContain('/Item')
  })

  it('that is not an object is refused as such, not misread', () => {
    expect(problemsOf('null', 2)).toEqual([expect.objectContaining({message: expect.stringMatching(/got null$/)})])
    expect(problemsOf(JSON.stringify([typed]), 2)).toEqual([
      expect.objectContaining({path: '', message: expect.stringMatching(/must be a JSON object.*got a list of 1$/)}),
    ])
  })
})

describe('problems', () => {
  it('come in the order they stand in the text: by line, then by column', () => {
    const text = [
      '{',
      '  "Year": "x", "Streams": -1,',
      '  "ArtistID": "Knock2", "ItemID": "TRACK#Dashstar",',
      '  "Duration": "long", "Bogus": 1',
      '}',
    ].join('\n')
    const positions = problemsOf(text).map(({line, column}) => [line, column])
    const sorted = [...positions].sort(([l1, c1], [l2, c2]) => l1! - l2! || c1! - c2!)
    expect(positions.length).toBeGreaterThanOrEqual(4)
    expect(new Set(positions.map(([line]) => line)).size).toBeGreaterThan(1)
    expect(positions).toEqual(sorted)
  })

  it('are located at their own attribute, not at the first one of the same shape', () => {
    const text = '{"ArtistID":"A","ItemID":"TRACK#T","Duration":{"N":"5"},\n"Year":{"N":"x"}}'
    expect(problemsOf(text)).toEqual([expect.objectContaining({path: '/Year/N', line: 2, column: 13})])
  })

  it('name an unknown attribute where it stands', () => {
    const text = '{\n  "ArtistID": "A",\n  "ItemID": "TRACK#T",\n  "Bogus": 1\n}'
    expect(problemsOf(text)).toEqual([expect.objectContaining({path: '/Bogus', line: 4})])
  })

  it('say a number too large to be exact, by attribute or list position, and how to write it', () => {
    const streams = '{"ArtistID":"A","ItemID":"TRACK#T","Streams":123456789012345678901}'
    expect(problemsOf(streams)).toContainEqual({
      path: '/Streams',
      line: 1,
      column: streams.indexOf('1234') + 1,
      message: 'Streams is too large a number to be exact in JSON; write it as {"N": "<digits>"}',
    })
    const features = '{"ArtistID":"A","ItemID":"TRACK#T","Features":["x", 123456789012345678901]}'
    expect(problemsOf(features).map((p) => p.message)).toContain(
      'Features[1] is too large a number to be exact in JSON; write it as {"N": "<digits>"}',
    )
    const eleventh = JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#T', Features: Array(10).fill('x')}).replace(
      ']',
      ', 123456789012345678901]',
    )
    expect(problemsOf(eleventh).map((p) => p.message)).toContain(
      'Features[10] is too large a number to be exact in JSON; write it as {"N": "<digits>"}',
    )
  })

  it('of an oversized key are located at that key', () => {
    const text = `{"ItemID": "TRACK#T",\n "ArtistID": "${'a'.repeat(2049)}"}`
    expect(check(text)).toMatchObject({
      ok: false,
      reason: 'too-large',
      problems: [{path: '/ArtistID', line: 2}],
    })
  })
})

describe('bytes that are not text', () => {
  it('name the first byte that is not UTF-8, its offset and where it stands, whatever came before it', () => {
    const cases: [number[], number][] = [
      [[0x7b, 0xc3, 0xa9, 0xff], 3], // after a valid two-byte character
      [[0xc3, 0xa9, 0x80], 2], // a stray continuation byte after a valid character
      [[0x41, 0x0a, 0x42, 0xe2, 0x82, 0x41], 3], // a three-byte sequence cut short, on line 2
      [[0xc3, 0xa9, 0xc3, 0xa9, 0xff], 4],
      [[0xf0, 0x9f, 0x8e, 0xb5, 0xed, 0xa0, 0x80], 4], // a surrogate after an astral character
    ]
    for (const [bytes, offset] of cases) {
      const before = Buffer.from(bytes.slice(0, offset)).toString('utf8').split('\n')
      expect(checkRecord(Uint8Array.from(bytes))).toEqual({
        ok: false,
        reason: 'not-utf8',
        problems: [
          {
            path: '',
            line: before.length,
            column: before.at(-1)!.length + 1,
            message: `not UTF-8: byte 0x${bytes[offset].toString(16).padStart(2, '0')} at offset ${offset} is not valid UTF-8; save the file as UTF-8`,
          },
        ],
      })
    }
  })

  it('starting with a byte-order mark are refused as such; a lone 0xEF is not one', () => {
    expect(check('\uFEFF{}')).toMatchObject({ok: false, reason: 'invalid-json', problems: [{line: 1, column: 1}]})
    expect(check('\uFEFF{}').ok || check('\uFEFF{}').problems[0].message).toMatch(/byte-order mark/)
    expect(checkRecord(Uint8Array.from([0xef, 0x7b, 0x7d]))).toMatchObject({ok: false, reason: 'not-utf8'})
    // U+F000 is EF 80 80: valid UTF-8 that starts as a byte-order mark does, and is not one.
    const privateUse = check('\uF000{}')
    expect(privateUse.ok || privateUse.problems[0].message).not.toMatch(/byte-order mark/)
  })
})

it('a batch line over the size cap is called a record, a file a file', () => {
  const big = Buffer.alloc(MAX_OBJECT_BYTES + 1, 0x20)
  const message = (line?: number) => {
    const result = checkRecord(big, line === undefined ? {} : {line})
    return result.ok ? '' : result.problems[0].message
  }
  expect(message(2)).toMatch(/^the record is /)
  expect(message()).toMatch(/^the file is /)
})
