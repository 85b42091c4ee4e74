import {HeadObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {deleteEntry, purgeEntry, readEntryContent} from '#quarantine/actions.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'

// `quarantine show` and `rm` on the local S3, in-process (versions on a versioned bucket: purge.test.ts).

let e: Emulators

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

async function quarantined(key: string, body: string | Buffer) {
  await e.s3.send(new PutObjectCommand({Bucket: BUCKETS.quarantine, Key: key, Body: Buffer.from(body)}))
  const slash = key.lastIndexOf('/')
  return {key, sourceKey: key.slice(0, slash), entryId: key.slice(slash + 1), size: Buffer.byteLength(body)}
}
const exists = (key: string) =>
  e.s3.send(new HeadObjectCommand({Bucket: BUCKETS.quarantine, Key: key})).then(
    () => true,
    () => false,
  )

describe('quarantine show', () => {
  it('reads the entry as it was rejected, byte for byte', async () => {
    const bytes = Buffer.concat([Buffer.from('{"Title": "déjà 🎵"'), Buffer.from([0xff, 0x00, 0x0a])])
    const entry = await quarantined('show/a.json/q-0000000000000001', bytes)
    expect(await readEntryContent(e.s3, BUCKETS.quarantine, entry)).toEqual(bytes)
  })
})

describe('quarantine rm', () => {
  it('deletes the entry, and no other entry of its key', async () => {
    const entry = await quarantined('rm/a.json/q-0000000000000001', '{}')
    const sibling = await quarantined('rm/a.json/q-0000000000000002', '{}')
    await deleteEntry(e.s3, BUCKETS.quarantine, entry)
    expect([await exists(entry.key), await exists(sibling.key)]).toEqual([false, true])
  })

  it('--purge deletes the entry where the S3 keeps no versions, and no other entry', async () => {
    const entry = await quarantined('purge/a.json/q-0000000000000001', '{}')
    const longer = await quarantined('purge/a.json/q-0000000000000001/b.json/q-0000000000000002', '{}')
    await purgeEntry(e.s3, BUCKETS.quarantine, entry)
    expect([await exists(entry.key), await exists(longer.key)]).toEqual([false, true])
  })
})
