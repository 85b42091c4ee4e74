import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  compactMetadataValue,
  decodeMetadataValue,
  isEntryOf,
  parseQuarantineKey,
  quarantineKey,
} from '#contract/pipeline-contract.js'
import {localTarget} from '#local/target.js'
import {entriesOf, resolveEntryArguments, taggedEntriesOf} from '#quarantine/entries.js'
import {stopTestPipeline, type TestPipeline, startTestPipeline, trackRecord} from '../processor/helpers.js'

// Source keys up to S3's 1,024 bytes, put straight into the processing bucket: their quarantine entries stay within
// S3's key limit (the hashed layout past 1,005 bytes), and the quarantine commands still find them by source key,
// `--line` included.

let t: TestPipeline
beforeAll(async () => {
  t = await startTestPipeline()
})
afterAll(() => stopTestPipeline(t))

const bytes = (text: string) => Buffer.byteLength(text)
/** A key of exactly `size` bytes: `long/`, filler (2-byte `é` or 1-byte `a`), then the extension. */
function keyOf(size: number, extension: string, wide: boolean): string {
  const room = size - bytes('long/') - bytes(extension)
  const filler = wide ? 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2) : 'a'.repeat(room)
  return `long/${filler}${extension}`
}

const SINGLE_1010 = keyOf(1010, '.json', false)
const SINGLE_1024 = keyOf(1024, '.json', true)
const BATCH_1010 = keyOf(1010, '.ndjson', false)
const BATCH_1024 = keyOf(1024, '.ndjson', true)
const batch = [trackRecord('Long', 'One'), '{"ArtistID": ', trackRecord('Long', 'Three')].join('\n') + '\n'

describe('quarantine entries of source keys up to 1,024 bytes', () => {
  beforeAll(async () => {
    expect([SINGLE_1010, SINGLE_1024, BATCH_1010, BATCH_1024].map(bytes)).toEqual([1010, 1024, 1010, 1024])
    for (const key of [SINGLE_1010, SINGLE_1024]) await t.upload(key, '{"ArtistID": ')
    for (const key of [BATCH_1010, BATCH_1024]) await t.upload(key, batch)
    await t.pipeline.idle()
  })

  it('are written within S3 1,024-byte key limit, none left in the processing bucket', async () => {
    const entries = await t.keys(t.pipeline.state.quarantineBucket)
    expect(entries).toHaveLength(4)
    for (const entry of entries) expect(bytes(entry)).toBeLessThanOrEqual(1024)
    expect(await t.keys(t.pipeline.state.processingBucket)).toEqual([])
  })

  it('are found by their whole source key, and carry it whole (what `quarantine release` puts back)', async () => {
    const target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
    for (const key of [SINGLE_1010, SINGLE_1024]) {
      const [entry, ...others] = await entriesOf(target, key)
      expect(others).toEqual([])
      expect(entry).toMatchObject({sourceKey: key, reason: 'invalid-json'})
      expect(await taggedEntriesOf(target, key)).toEqual([expect.objectContaining({reason: 'invalid-json'})])
    }
  })

  it('of a batch line are found with --line, and only that line', async () => {
    const target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
    for (const key of [BATCH_1010, BATCH_1024]) {
      const [line2] = await resolveEntryArguments(target, [key], {line: 2})
      expect(line2.entries).toEqual([expect.objectContaining({sourceKey: key, line: 2, reason: 'invalid-json'})])
      const [line1] = await resolveEntryArguments(target, [key], {line: 1})
      expect(line1.entries).toEqual([])
      // The entry key `quarantine list` prints names that entry alone.
      const [byEntryKey] = await resolveEntryArguments(target, [line2.entries[0].key])
      expect(byEntryKey.entries).toEqual([expect.objectContaining({sourceKey: key, line: 2})])
    }
    // A source key is not found through a longer one it prefixes, nor the other way round.
    expect((await entriesOf(target, BATCH_1010.slice(0, -1))).length).toBe(0)
  })
})

describe('the entry key layout', () => {
  const upload = {etag: '0123456789abcdef0123456789abcdef'}

  it('quotes a source key of up to 1,005 bytes whole: <source key>/q-<16 hex>, 1,024 bytes at most', () => {
    const key = 'k'.repeat(1005)
    expect(Buffer.byteLength(quarantineKey(key, upload))).toBe(1024)
    expect(quarantineKey(key, upload, 7)).toMatch(new RegExp(`^${key}/q-[0-9a-f]{16}$`))
    expect(parseQuarantineKey(quarantineKey(key, upload, 7))).toEqual({sourceKey: key, entryId: expect.any(String)})
  })

  it('past 1,005 bytes: <head>…/q-<hash>-<16 hex>, at most 1,024 bytes, the head cut between characters', () => {
    for (const filler of ['k', 'é', '€', '😀'])
      for (const size of [1006, 1010, 1024]) {
        const wide = filler.repeat(Math.floor(size / Buffer.byteLength(filler)))
        const key = wide + 'k'.repeat(size - Buffer.byteLength(wide))
        expect(Buffer.byteLength(key)).toBe(size)
        const entry = quarantineKey(key, upload, 2)
        expect(Buffer.byteLength(entry)).toBeLessThanOrEqual(1024)
        expect(Buffer.byteLength(entry)).toBeGreaterThan(1024 - 4)
        const [, head] = /^(.*)…\/q-[0-9a-f]{16}-[0-9a-f]{16}$/su.exec(entry)!
        expect(key.startsWith(head)).toBe(true)
        expect(head).not.toMatch(/\uFFFD|[\uD800-\uDBFF]$/)
        expect(parseQuarantineKey(entry)).toEqual({entryId: expect.stringMatching(/^q-[0-9a-f]{16}$/)})
        expect(isEntryOf(entry, key)).toBe(true)
        expect(isEntryOf(entry, key.slice(0, -1) + 'x')).toBe(false)
      }
  })

  it('a source key too long to percent-encode in the metadata is spelt in base64, and read back', () => {
    const key = '日本'.repeat(170)
    expect(compactMetadataValue(key)).toMatch(/^b64:/)
    expect(compactMetadataValue(key).length).toBeLessThan(1400)
    expect(decodeMetadataValue(compactMetadataValue(key))).toBe(key)
    expect(compactMetadataValue('plain/key.json')).toBe('plain%2Fkey.json')
  })
})
