import {gunzipSync} from 'node:zlib'

import {GetObjectCommand, HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {releaseEntry} from '#quarantine/actions.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'
import {quarantined} from './helpers/quarantined.js'

// Releasing on the local S3, in-process: the object goes back under its source key, and never over a newer upload.

let e: Emulators
const buckets = {quarantine: BUCKETS.quarantine, processing: BUCKETS.processing}

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

const read = async (bucket: string, key: string) =>
  (await e.s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body!.transformToString()
const exists = (bucket: string, key: string) =>
  e.s3.send(new HeadObjectCommand({Bucket: bucket, Key: key})).then(
    () => true,
    () => false,
  )

describe('quarantine release', () => {
  it('puts the entry back under its source key with a release id, then removes the entry', async () => {
    const entry = await quarantined(e.s3, 'released.json', '{"fixed": true}')
    await releaseEntry(e.s3, buckets, entry)
    expect(await read(BUCKETS.processing, 'released.json')).toBe('{"fixed": true}')
    const head = await e.s3.send(new HeadObjectCommand({Bucket: BUCKETS.processing, Key: 'released.json'}))
    expect(head.Metadata?.[QUARANTINE_METADATA.releaseId]).toMatch(/^[0-9a-f-]{36}$/)
    // As `upload` sends it.
    expect(head.ContentType).toBe('application/json')
    expect(await exists(BUCKETS.quarantine, entry.key)).toBe(false)
  })

  it('never replaces an upload of the same key still waiting: refuses (InFlight), both kept as they were', async () => {
    const entry = await quarantined(e.s3, 'waiting.json', '{"old": true}')
    await e.s3.send(new PutObjectCommand({Bucket: BUCKETS.processing, Key: 'waiting.json', Body: '{"newer": true}'}))
    await expect(releaseEntry(e.s3, buckets, entry, ['--local'])).rejects.toMatchObject({
      code: 'InFlight',
      exitCode: 1,
      message: `Not released ${entry.key}: an upload of waiting.json is still being processed.`,
      hint: 'Wait until it is processed (eventpulse status waiting.json --local), then release again.',
    })
    expect(await read(BUCKETS.processing, 'waiting.json')).toBe('{"newer": true}')
    expect(await read(BUCKETS.quarantine, entry.key)).toBe('{"old": true}')
  })

  it('returns the upload it made, to follow to its outcome', async () => {
    const entry = await quarantined(e.s3, 'followed.json', '{"fixed": 1}')
    const released = await releaseEntry(e.s3, buckets, entry)
    const head = await e.s3.send(new HeadObjectCommand({Bucket: BUCKETS.processing, Key: 'followed.json'}))
    expect(released).toEqual({key: 'followed.json', etag: head.ETag!.replaceAll('"', '')})
    expect(released.etag).toMatch(/^[0-9a-f]{32}$/)
  })

  it('releases keys with characters S3 servers decode differently', async () => {
    const sourceKey = 'odd/a+b #1 déjà%20vu.json'
    const entry = await quarantined(e.s3, sourceKey, '{"odd": true}')
    await releaseEntry(e.s3, buckets, entry)
    expect(await read(BUCKETS.processing, sourceKey)).toBe('{"odd": true}')
    expect(await exists(BUCKETS.quarantine, entry.key)).toBe(false)
  })

  it("puts a gzip batch's line back gzip-compressed, as the processor reads a .gz batch", async () => {
    const line = '{"ArtistID": "Moby", "ItemID": "TRACK#Go"}\n'
    const entry = {...(await quarantined(e.s3, 'released.ndjson.gz', line)), line: 7}
    await releaseEntry(e.s3, buckets, entry)
    const body = await e.s3.send(new GetObjectCommand({Bucket: BUCKETS.processing, Key: 'released.ndjson.gz'}))
    expect(gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString()).toBe(line)
  })

  it('keeps the entry when the object cannot be put back', async () => {
    const entry = await quarantined(e.s3, 'kept.json', '{"kept": true}')
    await expect(releaseEntry(e.s3, {...buckets, processing: 'no-such-bucket'}, entry)).rejects.toMatchObject({
      name: 'NoSuchBucket',
    })
    expect(await read(BUCKETS.quarantine, entry.key)).toBe('{"kept": true}')
  })
})
