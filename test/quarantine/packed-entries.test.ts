import {GetObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {encodeMetadataValue, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {releaseEntry} from '#quarantine/actions.js'
import {listEntries, resolveEntryArguments} from '#quarantine/entries.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'

// The entry of a record `upload --batch` packed names the file it came from, beside its batch object and line, as
// `quarantine list` and `show` print it (on the local S3; the metadata as the processor writes it).

let e: Emulators
let target: PipelineTarget

beforeAll(async () => {
  e = await startEmulators()
  target = {
    label: 'local S3',
    region: 'us-east-1',
    resources: {quarantineBucket: BUCKETS.quarantine, processingBucket: BUCKETS.processing},
    concurrency: 4,
    s3: e.s3,
  }
})
afterAll(() => e?.stop())

async function entry(key: string, metadata: Record<string, string>) {
  await e.s3.send(
    new PutObjectCommand({
      Bucket: BUCKETS.quarantine,
      Key: key,
      Body: Buffer.from('{"ArtistID": "A"}'),
      Metadata: {
        [QUARANTINE_METADATA.reason]: 'schema',
        [QUARANTINE_METADATA.quarantinedAt]: '2026-01-02T03:04:05.000Z',
        ...metadata,
      },
    }),
  )
}

describe('the entry of a packed record', () => {
  it('names its file beside the batch object and line, quoted when the name needs it', async () => {
    await entry('packed/batch-0123456789abcdef.ndjson/q-0000000000000001', {
      [QUARANTINE_METADATA.sourceLine]: '4',
      [QUARANTINE_METADATA.sourceFile]: encodeMetadataValue('dir-A/artist-000/song-4000.json'),
    })
    await entry('packed/batch-0123456789abcdef.ndjson/q-0000000000000002', {
      [QUARANTINE_METADATA.sourceLine]: '5',
      [QUARANTINE_METADATA.sourceFile]: encodeMetadataValue('dir A/sóng 1.json'),
    })
    await entry('packed/own.ndjson/q-0000000000000003', {[QUARANTINE_METADATA.sourceLine]: '6'})
    const {entries} = await listEntries(target, {prefix: 'packed/'})
    expect(entries.map((found) => [found.sourceKey, found.line, found.file])).toEqual([
      ['packed/batch-0123456789abcdef.ndjson', 4, 'dir-A/artist-000/song-4000.json'],
      ['packed/batch-0123456789abcdef.ndjson', 5, 'dir A/sóng 1.json'],
      ['packed/own.ndjson', 6, undefined],
    ])
    expect(entries.map(entryLine)).toEqual([
      'packed/batch-0123456789abcdef.ndjson/q-0000000000000001  line 4  from dir-A/artist-000/song-4000.json  17 B  2026-01-02T03:04:05.000Z  schema',
      "packed/batch-0123456789abcdef.ndjson/q-0000000000000002  line 5  from 'dir A/sóng 1.json'  17 B  2026-01-02T03:04:05.000Z  schema",
      'packed/own.ndjson/q-0000000000000003  line 6  17 B  2026-01-02T03:04:05.000Z  schema',
    ])
    const [{entries: shown}] = await resolveEntryArguments(target, ['packed/batch-0123456789abcdef.ndjson'], {line: 4})
    expect(shown.map((found) => found.file)).toEqual(['dir-A/artist-000/song-4000.json'])
  })

  it('goes back on release as its line was packed, naming its file, so that it is named again if quarantined again', async () => {
    await entry('released/batch-0123456789abcdef.ndjson/q-0000000000000004', {
      [QUARANTINE_METADATA.sourceLine]: '9',
      [QUARANTINE_METADATA.sourceFile]: encodeMetadataValue('dir-A/artist-000/song-4009.json'),
    })
    const [{entries}] = await resolveEntryArguments(target, ['released/batch-0123456789abcdef.ndjson'])
    await releaseEntry(e.s3, BUCKETS, entries[0])
    const released = await e.s3.send(
      new GetObjectCommand({Bucket: BUCKETS.processing, Key: 'released/batch-0123456789abcdef.ndjson'}),
    )
    expect(await released.Body!.transformToString()).toBe(
      '{"ep_packed_file":"dir-A/artist-000/song-4009.json","record":{"ArtistID": "A"}}',
    )
  })
})
