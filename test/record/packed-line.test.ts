import {describe, expect, it} from 'vitest'

import {packedLine, packedRecord, packedRecordKey, unpackLine} from '#record/packed-line.js'

// The batch lines `upload --batch` packs, {"ep_packed_file":"<file>","record":<record>}, and how every reader of a batch
// takes the wrapper off again; the expected lines are written out by hand.

const text = (bytes: Buffer) => bytes.toString('utf8')

describe('packing a file into a batch line', () => {
  it("makes the record's line breaks spaces, and leaves every other byte", () => {
    expect(text(packedRecord(Buffer.from('{\r\n  "A": "x\ty"\n}\n')))).toBe('{    "A": "x\ty" } ')
  })

  it('wraps the record with its file name, written as a JSON string', () => {
    expect(text(packedLine('dir/a.json', Buffer.from('{"A":1}')))).toBe(
      '{"ep_packed_file":"dir/a.json","record":{"A":1}}',
    )
    expect(text(packedLine('say "hi"\\.json', Buffer.from('{}')))).toBe(
      '{"ep_packed_file":"say \\"hi\\"\\\\.json","record":{}}',
    )
  })

  it('packs a name whose wrapper fits in 8 KB, and sends the record alone past it', () => {
    // The wrapper is 29 bytes besides the quoted name: {"ep_packed_file": (18), ,"record": (10) and } (1).
    const longest = 'n'.repeat(8192 - 29 - 2)
    const record = Buffer.from('{"A":1}')
    expect(text(packedLine(longest, record))).toBe(`{"ep_packed_file":"${longest}","record":{"A":1}}`)
    expect(packedLine(`${longest}n`, record)).toBe(record)
  })

  it("keys where a quarantined packed record went by its bytes' SHA-256", () => {
    expect(packedRecordKey(Buffer.from('abc'))).toBe(
      'packed-record:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})

describe('unpacking a batch line', () => {
  const unpacked = (line: string, size?: number) => {
    const {bytes, ...rest} = unpackLine(Buffer.from(line), size)
    return {record: text(bytes), ...rest}
  }

  it('gives the record inside a packed line, its true size and its file', () => {
    expect(unpacked('{"ep_packed_file":"dir/a.json","record":{"A":1}}')).toEqual({
      record: '{"A":1}',
      size: 7,
      file: 'dir/a.json',
    })
  })

  it('reads names with escaped quotes and backslashes, to the quote that ends them', () => {
    expect(unpacked('{"ep_packed_file":"a\\"b.json","record":{}}')).toEqual({record: '{}', size: 2, file: 'a"b.json'})
    expect(unpacked('{"ep_packed_file":"dir\\\\","record":{}}')).toEqual({record: '{}', size: 2, file: 'dir\\'})
  })

  it('leaves every line that is not exactly a packed one as it is', () => {
    for (const line of [
      '{"ArtistID":"Moby","ItemID":"TRACK#Go"}',
      '{"ep_packed_file" :"a","record":{}}',
      '{"ep_packed_file":1,"record":{}}',
      '{"ep_packed_file":"a',
      '{"ep_packed_file":"a","Record":{}}',
      '{"ep_packed_file":"a","record":',
      '{"ep_packed_file":"a","record":{} ',
      '{"ep_packed_file":"a\\x","record":{}}',
    ])
      expect(unpacked(line), line).toEqual({record: line, size: Buffer.byteLength(line)})
  })

  it('unpacks the start of a line too long to be read whole, keeping the true size of its record', () => {
    // 31 bytes of wrapper before the record, and the closing brace after it: 100 - 31 - 1.
    expect(unpacked('{"ep_packed_file":"a","record":{"A":"xxxx', 100)).toEqual({
      record: '{"A":"xxxx',
      size: 68,
      file: 'a',
    })
  })
})
