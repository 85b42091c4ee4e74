import {describe, expect, it} from 'vitest'

import {indentJson} from '#record/indent-json.js'

// `quarantine show` lays a batch line out this way: a pretty-printed file packed by `upload --batch` is one line there.

describe('indentJson', () => {
  it('lays a packed record out one attribute a line, keeping every string and number exactly as written', () => {
    const packed =
      '{   "ArtistID": "A, \\"b\\" {x}",   "Streams": 12345678901234567890123,   "Features": ["a", {"S": "b]"}]  } '
    expect(indentJson(packed)).toBe(
      [
        '{',
        '  "ArtistID": "A, \\"b\\" {x}",',
        '  "Streams": 12345678901234567890123,',
        '  "Features": [',
        '    "a",',
        '    {',
        '      "S": "b]"',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    )
  })

  it('keeps empty objects and lists as {} and []', () => {
    expect(indentJson('{"L": [ ], "O": {  }}')).toBe('{\n  "L": [],\n  "O": {}\n}')
  })

  it('leaves text that is not JSON alone (undefined)', () => {
    expect(indentJson('{"ArtistID": "A",')).toBeUndefined()
  })
})
