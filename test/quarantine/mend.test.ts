import {gunzipSync} from 'node:zlib'

import {GetObjectCommand, HeadObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {checkMended, mendedUpload, releaseMended} from '#quarantine/mend.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'
import {quarantined} from './helpers/quarantined.js'

// `quarantine fix` and the review's edit, in-process on the local S3: a mended record is checked first, and only a
// valid one goes back in place of the entry.

let e: Emulators
const buckets = {quarantine: BUCKETS.quarantine, processing: BUCKETS.processing}

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

const read = async (bucket: string, key: string) =>
  Buffer.from(await (await e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body!.transformToByteArray())
const exists = (bucket: string, key: string) =>
  e.s3.send(new HeadObjectCommand({Bucket: bucket, Key: key})).then(
    () => true,
    () => false,
  )

const mended = '{\n  "ArtistID": "Moby",\n  "ItemID": "TRACK#Go",\n  "Year": 1991\n}\n'

describe('releasing a mended record', () => {
  it('refuses an invalid one, naming file, line, column and fix, and changes nothing', async () => {
    const entry = await quarantined(e.s3, 'mend/refused.json', '{"Year": "x"}')
    const invalid = '{\n  "ArtistID": "Moby",\n  "ItemID": "TRACK#Go",\n  "Year": "1991"\n}\n'
    await expect(
      releaseMended(e.s3, buckets, entry, {file: 'go.json', bytes: Buffer.from(invalid)}),
    ).rejects.toMatchObject({
      code: 'InvalidRecord',
      exitCode: 1,
      message: expect.stringMatching(
        /^go\.json is not a valid record \(schema\); nothing was released and mend\/refused\.json\/q-0123456789abcdef is kept:\n {2}go\.json:4:11 {2}Year must be .*\[schema\]$/,
      ),
    })
    expect(await exists(BUCKETS.processing, 'mend/refused.json')).toBe(false)
    expect((await read(BUCKETS.quarantine, entry.key)).toString()).toBe('{"Year": "x"}')
  })

  it('puts a valid one back under the source key as it was written, then removes the entry', async () => {
    const entry = await quarantined(e.s3, 'mend/valid.json', '{"Year": "x"}')
    const released = await releaseMended(e.s3, buckets, entry, {file: 'go.json', bytes: Buffer.from(mended)})
    expect(released.key).toBe('mend/valid.json')
    expect((await read(BUCKETS.processing, 'mend/valid.json')).toString()).toBe(mended)
    expect(await exists(BUCKETS.quarantine, entry.key)).toBe(false)
  })

  it("puts a batch's record back as a batch of one line, gzip-compressed under a .gz name", async () => {
    const entry = await quarantined(e.s3, 'mend/catalog.ndjson.gz', '{"Year": "x"}', 4)
    await releaseMended(e.s3, buckets, entry, {file: 'line-4.json', bytes: Buffer.from(mended)})
    const line = '{   "ArtistID": "Moby",   "ItemID": "TRACK#Go",   "Year": 1991 }\n'
    expect(gunzipSync(await read(BUCKETS.processing, 'mend/catalog.ndjson.gz')).toString()).toBe(line)
  })
})

describe('the check of a mended record', () => {
  const exported = Buffer.from('{"Item": {"ArtistID": {"S": "Moby"}, "ItemID": {"S": "TRACK#Go"}}}')
  const entry = {key: 'k/q-0123456789abcdef', sourceKey: 'k', entryId: 'q-0123456789abcdef', size: 1}

  it("is a batch record's check for a batch's entry (an export line is a record), a file's otherwise", () => {
    expect(checkMended({...entry, line: 2}, exported).ok).toBe(true)
    expect(checkMended(entry, exported).ok).toBe(false)
  })

  it('keeps a plain record as written, and a batch record on one line', () => {
    expect(mendedUpload(entry, Buffer.from(mended)).toString()).toBe(mended)
    expect(
      mendedUpload({...entry, sourceKey: 'c.ndjson', line: 2}, Buffer.from('{\r\n"A": "b\\nc"\r\n}')).toString(),
    ).toBe('{ "A": "b\\nc" }\n')
  })
})
