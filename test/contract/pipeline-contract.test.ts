import {describe, expect, it} from 'vitest'

import {
  compactMetadataValue,
  decodeMetadataValue,
  encodeMetadataValue,
  entryKeyPrefix,
  hasHashedEntryKeys,
  isEntryOf,
  isQuarantineReason,
  isReplaceKey,
  isSelftestKey,
  isSweepRequest,
  parseQuarantineKey,
  quarantineEntryId,
  quarantineKey,
  quarantineTagging,
} from '#contract/pipeline-contract.js'

// Entry ids: `q-` and the first 16 hex digits of the SHA-256 of `<etag>\n<version id>[\n<line>]`, computed by hand
// (printf 'abc\n' | sha256sum, and so on).
const ID_ABC = 'q-edeaaff3f1774ad2'
const ID_ABC_V1 = 'q-1f2d7046bd46e7b3'
const ID_ABC_LINE_3 = 'q-281e4a80bb82f3b7'
const ID_ABC_V1_LINE_3 = 'q-13fd2953790cd825'
/** The first 16 hex digits of the SHA-256 of 1,006 `k`s (printf 'k%.0s' $(seq 1006) | sha256sum). */
const HASH_K1006 = '4f3dde0c949ac8ac'
const HEX16 = '0123456789abcdef'

describe('quarantine reasons', () => {
  it('are the six codes, nothing else', () => {
    for (const reason of ['invalid-json', 'not-utf8', 'too-large', 'schema', 'duplicate', 'unreadable'])
      expect(isQuarantineReason(reason), reason).toBe(true)
    // ['schema'] would name the key 'schema' if it were not refused for not being text.
    for (const other of [
      'toString',
      'constructor',
      'Schema',
      '',
      'other',
      42,
      undefined,
      null,
      {schema: 1},
      ['schema'],
    ])
      expect(isQuarantineReason(other), String(other)).toBe(false)
  })
})

describe('key prefixes', () => {
  it('tell replacements and canaries by the start of the key', () => {
    expect(isReplaceKey('replace/a.json')).toBe(true)
    expect(isReplaceKey('a/replace/a.json')).toBe(false)
    expect(isReplaceKey('replace')).toBe(false)
    expect(isSelftestKey('selftest/x.json')).toBe(true)
    expect(isSelftestKey('x/selftest/x.json')).toBe(false)
    expect(isSelftestKey('selftest')).toBe(false)
  })
})

describe('quarantineTagging', () => {
  it('is the reason, source ETag and time as an x-amz-tagging query', () => {
    expect(quarantineTagging('schema', 'abc', '2024-01-01T00:00:00Z')).toBe(
      'ep-reason=schema&ep-source-etag=abc&ep-quarantined-at=2024-01-01T00%3A00%3A00Z',
    )
  })
})

describe('quarantineEntryId', () => {
  it('derives the id from ETag, version id and line', () => {
    expect(quarantineEntryId({etag: 'abc'})).toBe(ID_ABC)
    expect(quarantineEntryId({etag: 'abc', versionId: 'v1'})).toBe(ID_ABC_V1)
    expect(quarantineEntryId({etag: 'abc'}, 3)).toBe(ID_ABC_LINE_3)
    expect(quarantineEntryId({etag: 'abc', versionId: 'v1'}, 3)).toBe(ID_ABC_V1_LINE_3)
  })
})

describe('entry keys', () => {
  it('are `<source key>/q-<id>` up to 1,005 bytes of source key', () => {
    expect(hasHashedEntryKeys('a/b.json')).toBe(false)
    expect(hasHashedEntryKeys('k'.repeat(1005))).toBe(false)
    expect(entryKeyPrefix('a/b.json')).toBe('a/b.json/q-')
    expect(quarantineKey('a/b.json', {etag: 'abc'})).toBe(`a/b.json/${ID_ABC}`)
    expect(quarantineKey('a/b.json', {etag: 'abc', versionId: 'v1'}, 3)).toBe(`a/b.json/${ID_ABC_V1_LINE_3}`)
    const longest = quarantineKey('k'.repeat(1005), {etag: 'abc'})
    expect(longest).toBe(`${'k'.repeat(1005)}/${ID_ABC}`)
    expect(Buffer.byteLength(longest)).toBe(1024)
  })

  it('take the hashed layout for a longer source key, counted in bytes, at most 1,024 bytes in all', () => {
    expect(hasHashedEntryKeys('k'.repeat(1006))).toBe(true)
    // 503 characters of 2 bytes each.
    expect(hasHashedEntryKeys('é'.repeat(503))).toBe(true)
    expect(hasHashedEntryKeys('é'.repeat(502))).toBe(false)
    // 1,024 less the tail `…/q-<hash>-` (23 bytes) less the id (16): 985 bytes of the head.
    expect(entryKeyPrefix('k'.repeat(1006))).toBe(`${'k'.repeat(985)}…/q-${HASH_K1006}-`)
    const key = quarantineKey('k'.repeat(1006), {etag: 'abc'})
    expect(key).toBe(`${'k'.repeat(985)}…/q-${HASH_K1006}-${ID_ABC.slice(2)}`)
    expect(Buffer.byteLength(key)).toBe(1024)
  })

  it('cut a long head between characters', () => {
    // 492 two-byte characters are 984 bytes; a 493rd would pass 985.
    expect(entryKeyPrefix('é'.repeat(600))).toBe(`${'é'.repeat(492)}…/q-17b9cc826ac8cbc9-`)
    expect(entryKeyPrefix(`${'k'.repeat(984)}éé${'k'.repeat(100)}`)).toMatch(new RegExp(`^k{984}…/q-[0-9a-f]{16}-$`))
  })

  it('belong to their own source key only', () => {
    expect(isEntryOf(`a.json/q-${HEX16}`, 'a.json')).toBe(true)
    expect(isEntryOf(`a.json/q-${HEX16}`, 'a')).toBe(false)
    expect(isEntryOf(`a.json/sub/q-${HEX16}`, 'a.json')).toBe(false)
    expect(isEntryOf(`a.json/q-${HEX16}0`, 'a.json')).toBe(false)
    expect(isEntryOf(`a.json/q-${HEX16.slice(1)}`, 'a.json')).toBe(false)
    expect(isEntryOf(`a.json/q-${HEX16.toUpperCase()}`, 'a.json')).toBe(false)
    expect(isEntryOf(`b.json/q-${HEX16}`, 'a.json')).toBe(false)
    const long = 'k'.repeat(1006)
    expect(isEntryOf(quarantineKey(long, {etag: 'abc'}), long)).toBe(true)
    expect(isEntryOf(quarantineKey(long, {etag: 'abc'}), `${long}x`)).toBe(false)
  })
})

describe('parseQuarantineKey', () => {
  it('splits an entry key into source key and entry id', () => {
    expect(parseQuarantineKey(`a/b.json/q-${HEX16}`)).toStrictEqual({sourceKey: 'a/b.json', entryId: `q-${HEX16}`})
    expect(parseQuarantineKey(`x/q-${HEX16}`)).toStrictEqual({sourceKey: 'x', entryId: `q-${HEX16}`})
  })

  it('gives only the entry id of a hashed-layout key', () => {
    const key = `${'k'.repeat(985)}…/q-${HASH_K1006}-${HEX16}`
    expect(parseQuarantineKey(key)).toStrictEqual({entryId: `q-${HEX16}`})
    expect(parseQuarantineKey(`…/q-${HASH_K1006}-${HEX16}`)).toStrictEqual({entryId: `q-${HEX16}`})
  })

  it('is undefined for keys the pipeline did not lay out', () => {
    for (const key of [
      `q-${HEX16}`,
      `/q-${HEX16}`,
      'a/b.json',
      `a/q-${HEX16}/`,
      `a/q-${HEX16.slice(1)}`,
      `a/q-${HEX16}0`,
      `a/xq-${HEX16}`,
      // A hashed name without the cut mark before it, and the cut mark without a hashed name.
      `${'k'.repeat(985)}/q-${HASH_K1006}-${HEX16}`,
      `k…/q-${HASH_K1006}-${HEX16}0`,
      `k…/q-${HASH_K1006}${HEX16}`,
      'k…/name',
      '',
    ])
      expect(parseQuarantineKey(key), key).toBeUndefined()
  })
})

describe('metadata values', () => {
  it('are percent-encoded', () => {
    expect(encodeMetadataValue('été 1/2')).toBe('%C3%A9t%C3%A9%201%2F2')
    expect(encodeMetadataValue('plain')).toBe('plain')
  })

  it('take the shorter of percent-encoding and base64, percent-encoding when equal', () => {
    expect(compactMetadataValue('a/b.json')).toBe('a%2Fb.json')
    expect(compactMetadataValue('é'.repeat(10))).toBe('b64:w6nDqcOpw6nDqcOpw6nDqcOpw6k=')
    // 12 characters either way: '%20%20%C3%A9' and 'b64:ICDDqQ=='.
    expect(compactMetadataValue('  é')).toBe('%20%20%C3%A9')
  })

  it('decode from either form; a value that is neither comes back as it is', () => {
    expect(decodeMetadataValue('b64:w6nDqcOpw6nDqcOpw6nDqcOpw6k=')).toBe('é'.repeat(10))
    expect(decodeMetadataValue('b64:ICDDqQ==')).toBe('  é')
    expect(decodeMetadataValue('%C3%A9t%C3%A9%201%2F2')).toBe('été 1/2')
    expect(decodeMetadataValue('plain')).toBe('plain')
    expect(decodeMetadataValue('100%')).toBe('100%')
    expect(decodeMetadataValue('%E0%A4%A')).toBe('%E0%A4%A')
    expect(decodeMetadataValue('x-b64:ICDDqQ==')).toBe('x-b64:ICDDqQ==')
  })
})

describe('isSweepRequest', () => {
  it('is the schedule’s input only', () => {
    expect(isSweepRequest({eventpulse: 'sweep'})).toBe(true)
    expect(isSweepRequest({eventpulse: 'sweep', extra: 1})).toBe(true)
    expect(isSweepRequest({eventpulse: 'other'})).toBe(false)
    expect(isSweepRequest({Records: []})).toBe(false)
    expect(isSweepRequest(undefined)).toBe(false)
    expect(isSweepRequest(null)).toBe(false)
    expect(isSweepRequest('sweep')).toBe(false)
  })
})
