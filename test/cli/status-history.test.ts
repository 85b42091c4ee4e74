import {PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {temporaryFolders} from '../upload/folders.js'
import {BUCKETS, type Emulators, startEmulators} from './helpers/emulators.js'
import {emptyBucket, quarantine, recordUnchanged, storeItem} from './helpers/pipeline-fixtures.js'

// `status KEY` against the emulators, with the pipeline's traces laid down by hand (as the processor leaves them),
// so that the times and the order of the uploads are known.

let emulators: Emulators
let status: (keys: string[], json?: boolean) => ReturnType<typeof runCli>

const etag = (digit: string) => digit.repeat(32)
const folders = temporaryFolders('ep-status-shared')

beforeAll(async () => {
  emulators = await startEmulators()
  status = (keys, json = true) =>
    runCli(
      ['status', ...keys, `--endpoint-url=${emulators.s3Endpoint}`, ...emulators.flags, ...(json ? ['--json'] : [])],
      {
        env: {...emulators.env, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint},
      },
    )
  // history.json: stored, then a changed copy quarantined as a duplicate, then the first record sent again (unchanged).
  await storeItem(emulators.dynamodb, 'history.json', {
    artist: 'Bonobo',
    item: 'TRACK#Kerala',
    etag: etag('1'),
    at: '2026-01-01T10:00:00.000Z',
  })
  await quarantine(emulators.s3, 'history.json', {
    reason: 'duplicate',
    message: 'an item with the same ArtistID and ItemID is already stored',
    etag: etag('2'),
    at: '2026-01-02T10:00:00.000Z',
  })
  await recordUnchanged(emulators.dynamodb, 'history.json', {
    artist: 'Bonobo',
    item: 'TRACK#Kerala',
    etag: etag('3'),
    at: '2026-01-03T10:00:00.000Z',
  })
  // ended-quarantined.json: stored, then its latest upload quarantined.
  await storeItem(emulators.dynamodb, 'ended-quarantined.json', {etag: etag('4'), at: '2026-01-01T10:00:00.000Z'})
  await quarantine(emulators.s3, 'ended-quarantined.json', {
    reason: 'duplicate',
    etag: etag('5'),
    at: '2026-01-02T10:00:00.000Z',
  })
})
afterAll(async () => {
  await emptyBucket(emulators.s3, BUCKETS.processing)
  await emulators?.stop()
})

describe('status KEY', () => {
  it('gives every upload of the key, newest first, with what became of it; the newest is current (exit 0 when unchanged)', async () => {
    const run = await status(['history.json'])
    expect(run.exitCode).toBe(0)
    const [key] = JSON.parse(run.stdout).result.keys
    // Today's fields describe the current upload, as before; the history is beside them.
    expect(key).toMatchObject({
      key: 'history.json',
      state: 'unchanged',
      at: '2026-01-03T10:00:00.000Z',
      item: {ArtistID: 'Bonobo', ItemID: 'TRACK#Kerala'},
    })
    expect(key.history).toEqual([
      {
        state: 'unchanged',
        at: '2026-01-03T10:00:00.000Z',
        etag: etag('3'),
        item: {ArtistID: 'Bonobo', ItemID: 'TRACK#Kerala'},
      },
      expect.objectContaining({
        state: 'quarantined',
        at: '2026-01-02T10:00:00.000Z',
        etag: etag('2'),
        reason: 'duplicate',
      }),
      {
        state: 'stored',
        at: '2026-01-01T10:00:00.000Z',
        etag: etag('1'),
        item: {ArtistID: 'Bonobo', ItemID: 'TRACK#Kerala'},
        version: 1,
      },
    ])
  })

  it('prints the history below the current state, the newest marked current', async () => {
    const run = await status(['history.json'], false)
    expect(run.exitCode).toBe(0)
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^unchanged {4}history\.json {2}\(already stored exactly so as Bonobo \/ TRACK#Kerala/),
      expect.stringMatching(/^ {4}current {2}unchanged .+ etag 3{32}$/),
      expect.stringMatching(/^ {13}quarantined {2}duplicate {2}\[history\.json\/q-[0-9a-f]{16}\] {2}etag 2{32}$/),
      expect.stringMatching(/^ {13}stored .+2026-01-01T10:00:00\.000Z\) {2}etag 1{32}$/),
    ])
  })

  it('exits 1 when the latest upload was quarantined, even though an earlier one is stored', async () => {
    const run = await status(['ended-quarantined.json'])
    expect(run.exitCode).toBe(1)
    const [key] = JSON.parse(run.stdout).result.keys
    expect(key.state).toBe('quarantined')
    expect(key.history.map((upload: {state: string}) => upload.state)).toEqual(['quarantined', 'stored'])
  })

  it('puts an object still in the processing bucket first, as the current upload (exit 0, as in flight)', async () => {
    await emulators.s3.send(
      new PutObjectCommand({Bucket: BUCKETS.processing, Key: 'ended-quarantined.json', Body: '{}'}),
    )
    const run = await status(['ended-quarantined.json'])
    expect(run.exitCode).toBe(0)
    const [key] = JSON.parse(run.stdout).result.keys
    expect(key.state).toBe('in-flight')
    expect(key.history.map((upload: {state: string}) => upload.state)).toEqual(['in-flight', 'quarantined', 'stored'])
  })

  it('exits 1 for a key never uploaded, with an empty history', async () => {
    const run = await status(['never.json'])
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout).result.keys).toEqual([{key: 'never.json', state: 'not-found', history: []}])
  })

  it('of a file whose key another folder of the same layout used: says the item is not its record, exit 1', async () => {
    // dir-A/shared.json was uploaded, then dir-E/shared.json (another record) under the same key, shared.json.
    await storeItem(emulators.dynamodb, 'shared.json', {artist: 'Folder E', item: 'TRACK#E', etag: etag('6')})
    const dirA = folders({'shared.json': JSON.stringify({ArtistID: 'Folder A', ItemID: 'TRACK#A'})})
    const dirE = folders({'shared.json': JSON.stringify({ArtistID: 'Folder E', ItemID: 'TRACK#E'})})
    const seenFromA = await status([dirA], false)
    expect(seenFromA.exitCode).toBe(1)
    expect(seenFromA.stdout).toContain(
      "not this file's record (Folder A / TRACK#A): another upload used the key, so give each folder its own --prefix",
    )
    const seenFromE = await status([dirE])
    expect(seenFromE.exitCode).toBe(0)
    expect(JSON.parse(seenFromE.stdout).result.keys[0]).toMatchObject({key: 'shared.json', state: 'stored'})
    expect(JSON.parse(seenFromE.stdout).result.keys[0].otherRecordThan).toBeUndefined()
  })
})
