import {gzipSync} from 'node:zlib'

import {GetObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {releaseEntry} from '#quarantine/actions.js'
import {releaseMended} from '#quarantine/mend.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'
import {quarantined} from './helpers/quarantined.js'

// Release and mend on the local S3, in-process, as a caller of the library sees them: the hint of a refusal names the
// command to run as written (no target flags unless given), an invalid mend says what to do, and an object released
// whole goes back byte for byte.

let e: Emulators
const buckets = {quarantine: BUCKETS.quarantine, processing: BUCKETS.processing}

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

const bytesOf = async (bucket: string, key: string) =>
  Buffer.from(await (await e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body!.transformToByteArray())
const waiting = (key: string) =>
  e.s3.send(new PutObjectCommand({Bucket: BUCKETS.processing, Key: key, Body: '{"newer": true}'}))

describe('release and mend, as the library is called', () => {
  it('without target flags, hints the status command without any', async () => {
    const entry = await quarantined(e.s3, 'waiting-2.json', '{"old": true}')
    await waiting('waiting-2.json')
    await expect(releaseEntry(e.s3, buckets, entry)).rejects.toMatchObject({
      code: 'InFlight',
      hint: 'Wait until it is processed (eventpulse status waiting-2.json), then release again.',
    })
  })

  it('a mended record: without target flags, hints the status command without any, and keeps the entry', async () => {
    const entry = await quarantined(e.s3, 'mend/waiting.json', '{"Year": "x"}')
    await waiting('mend/waiting.json')
    const mended = '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": 1991}\n'
    await expect(
      releaseMended(e.s3, buckets, entry, {file: 'go.json', bytes: Buffer.from(mended)}),
    ).rejects.toMatchObject({
      code: 'InFlight',
      hint: 'Wait until it is processed (eventpulse status mend/waiting.json), then release again.',
    })
    expect((await bytesOf(BUCKETS.quarantine, entry.key)).toString()).toBe('{"Year": "x"}')
  })

  it('an invalid mended record is refused with the fix: mend the file and run again', async () => {
    const entry = await quarantined(e.s3, 'mend/hinted.json', '{"Year": "x"}')
    const invalid = '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": "1991"}\n'
    await expect(
      releaseMended(e.s3, buckets, entry, {file: 'go.json', bytes: Buffer.from(invalid)}),
    ).rejects.toMatchObject({code: 'InvalidRecord', hint: 'Mend go.json and run the command again.'})
  })

  it('puts a .gz object quarantined whole back as it was uploaded, not compressed a second time', async () => {
    const gz = gzipSync('{"ArtistID": "Moby", "ItemID": "TRACK#Go"}\n')
    const entry = await quarantined(e.s3, 'whole.ndjson.gz', gz)
    await releaseEntry(e.s3, buckets, entry)
    expect(Buffer.compare(await bytesOf(BUCKETS.processing, 'whole.ndjson.gz'), gz)).toBe(0)
  })
})
