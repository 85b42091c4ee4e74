import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {GetObjectCommand, HeadObjectCommand, ListObjectsCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'

import {startS3} from '#local/emulators.js'
import {runCli} from '../helpers/run-cli.js'
import {BUCKETS, type Emulators, startEmulators} from './helpers/emulators.js'
import {emptyBucket, recordUnchanged, storeItem} from './helpers/pipeline-fixtures.js'
import {tempDir} from '../helpers/temp-dirs.js'

const VALID = JSON.stringify(
  {ArtistID: 'Skrillex', ItemID: 'TRACK#Rumble', EntityType: 'Track', Duration: 187},
  null,
  2,
)

let emulators: Emulators
let cli: (args: string[], input?: string, names?: string[]) => ReturnType<typeof runCli>

beforeAll(async () => {
  emulators = await startEmulators()
  cli = (args, input, names = emulators.flags) =>
    runCli([...args, `--endpoint-url=${emulators.s3Endpoint}`, ...names], {
      env: {...emulators.env, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint},
      input,
    })
})
afterAll(() => emulators?.stop())
beforeEach(() => emptyBucket(emulators.s3, BUCKETS.processing))

async function processingKeys(): Promise<string[]> {
  const listed = await emulators.s3.send(new ListObjectsCommand({Bucket: BUCKETS.processing}))
  return (listed.Contents ?? []).map((object) => object.Key!).sort()
}

function tree(files: Record<string, string>): string {
  const root = tempDir('ep-upload-')
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), {recursive: true})
    writeFileSync(join(root, path), content)
  }
  return root
}

describe('upload', () => {
  it('uploads a directory under keys relative to it, after --prefix, and sums up', async () => {
    const dir = tree({'a.json': VALID, 'sub/b.json': VALID})
    const run = await cli(['upload', dir, '--prefix', 'batch-1'])
    expect(run.stderr).not.toContain('Error')
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('2 files, 2 uploaded.')
    expect(await processingKeys()).toEqual(['batch-1/a.json', 'batch-1/sub/b.json'])
    const body = await emulators.s3.send(new GetObjectCommand({Bucket: BUCKETS.processing, Key: 'batch-1/a.json'}))
    // Sent plain, not in aws-chunked framing.
    expect(await body.Body!.transformToString()).toBe(VALID)
  })

  it('reports invalid files like validate, does not send them, and exits 1', async () => {
    const dir = tree({'good.json': VALID, 'bad.json': '{"ArtistID": "x",}'})
    const run = await cli(['upload', dir])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toMatch(/bad\.json:1:\d+ {2}.+\[invalid-json\]/)
    expect(run.stdout).toContain('2 files, 1 uploaded, 1 invalid (not sent).')
    expect(await processingKeys()).toEqual(['good.json'])
  })

  it('refuses a record under the reserved ArtistID of selftest canaries, and sends nothing (exit 1)', async () => {
    const dir = tree({'canary.json': '{"ArtistID": "eventpulse-selftest", "ItemID": "TRACK#Mine"}'})
    const run = await cli(['upload', dir])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(
      'ArtistID "eventpulse-selftest" is reserved for the canary records of `eventpulse selftest`',
    )
    expect(run.stdout).toContain('1 file, 0 uploaded, 1 invalid (not sent).')
    expect(await processingKeys()).toEqual([])
  })

  it('sends invalid files too with --no-validate', async () => {
    const dir = tree({'bad.json': 'not json'})
    const run = await cli(['upload', dir, '--no-validate'])
    expect(run.exitCode).toBe(0)
    expect(await processingKeys()).toEqual(['bad.json'])
  })

  it('gives one JSON document with --json', async () => {
    const dir = tree({'good.json': VALID, 'bad.json': '[]'})
    const run = await cli(['upload', dir, '--json'])
    expect(run.exitCode).toBe(1)
    const document = JSON.parse(run.stdout)
    expect(document.status).toBe(1)
    expect(document.result.summary).toEqual({
      files: 2,
      invalid: 1,
      uploaded: 1,
      unchanged: 0,
      failed: 0,
      notAttempted: 0,
    })
    const byKey = Object.fromEntries(document.result.files.map((f: {key: string}) => [f.key, f]))
    expect(byKey['good.json']).toMatchObject({status: 'uploaded', etag: expect.stringMatching(/^[0-9a-f]{32}$/)})
    expect(byKey['bad.json']).toMatchObject({status: 'invalid', reason: 'schema'})
    expect(run.stderr).not.toContain('Error')
  })

  it('lists what would be sent with --dry-run, and sends nothing', async () => {
    const dir = tree({'a.json': VALID})
    const run = await cli(['upload', dir, '--dry-run', '--prefix', 'p/'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain(`would upload ${join(dir, 'a.json')} as p/a.json`)
    expect(run.stdout).toContain('Dry run: nothing was sent.')
    expect(await processingKeys()).toEqual([])
  })

  it('refuses clashing keys before sending anything (exit 2)', async () => {
    const one = tree({'same.json': VALID})
    const two = tree({'same.json': VALID, 'other.json': VALID})
    const run = await cli(['upload', one, two])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('would both be uploaded as same.json')
    expect(await processingKeys()).toEqual([])
  })

  it('refuses a prefix that escapes with .. (exit 2)', async () => {
    const dir = tree({'a.json': VALID})
    const run = await cli(['upload', dir, '--prefix', '../elsewhere'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('the key has a . or .. segment')
    expect(await processingKeys()).toEqual([])
  })

  it('uploads standard input under --stdin-key', async () => {
    const run = await cli(['upload', '-', '--stdin-key', 'from-stdin.json'], VALID)
    expect(run.exitCode).toBe(0)
    expect(await processingKeys()).toEqual(['from-stdin.json'])
  })

  it('--wait gives up after --timeout when nothing processes the objects, and exits 4', async () => {
    const dir = tree({'a.json': VALID})
    const run = await cli(['upload', dir, '--wait', '--timeout', '2s'])
    expect(run.exitCode).toBe(4)
    expect(run.stdout).toMatch(/^in flight {4}a\.json {2}\(uploaded \d{4}-/m)
    expect(run.stdout).toContain('1 file, 1 uploaded, 0 stored, 0 quarantined, 1 still in flight.')
    expect(run.stderr).toContain('Timed out after 2s waiting for outcomes')
  })

  it('reports records already stored exactly so (plain or typed, any key) as unchanged and sends nothing', async () => {
    await storeItem(emulators.dynamodb, 'earlier.json', {
      artist: 'Skrillex',
      item: 'TRACK#Rumble',
      attributes: {EntityType: {S: 'Track'}, Duration: {N: '187'}},
    })
    const typed = JSON.stringify({
      ArtistID: {S: 'Skrillex'},
      ItemID: {S: 'TRACK#Rumble'},
      EntityType: {S: 'Track'},
      Duration: {N: '187'},
    })
    const dir = tree({
      'earlier.json': VALID,
      'renamed.json': typed,
      'changed.json': VALID.replace('187', '188').replace('TRACK#Rumble', 'TRACK#Rumble VIP'),
    })
    const run = await cli(['upload', dir, '--json'])
    expect(run.exitCode).toBe(0)
    const {result} = JSON.parse(run.stdout)
    expect(result.summary).toMatchObject({files: 3, uploaded: 1, unchanged: 2, failed: 0, notAttempted: 0})
    const byKey = Object.fromEntries(result.files.map((f: {key: string}) => [f.key, f]))
    for (const key of ['earlier.json', 'renamed.json'])
      expect(byKey[key]).toMatchObject({status: 'unchanged', item: {ArtistID: 'Skrillex', ItemID: 'TRACK#Rumble'}})
    expect(byKey['changed.json']).toMatchObject({status: 'uploaded'})
    expect(await processingKeys()).toEqual(['changed.json'])

    const text = await cli(['upload', join(dir, 'earlier.json')])
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toContain('1 file, 0 uploaded, 1 unchanged (already stored).')
    expect(text.stdout).toContain('unchanged    earlier.json  (already stored exactly so; not sent)')

    const forced = await cli(['upload', join(dir, 'earlier.json'), '--force'])
    expect(forced.exitCode).toBe(0)
    expect(forced.stdout).toContain('1 file, 1 uploaded.')
    expect(await processingKeys()).toEqual(['changed.json', 'earlier.json'])
  })

  it('--wait settles on unchanged when the pipeline finds the record already stored exactly so (exit 0)', async () => {
    const dir = tree({'again.json': VALID})
    const waiting = cli(['upload', dir, '--force', '--wait', '--timeout', '60s'])
    // The test plays the processor: it records the outcome for the upload (key + ETag), then removes the object.
    const head = await vi.waitFor(
      () => emulators.s3.send(new HeadObjectCommand({Bucket: BUCKETS.processing, Key: 'again.json'})),
      {timeout: 30_000, interval: 50},
    )
    await recordUnchanged(emulators.dynamodb, 'again.json', {
      artist: 'Skrillex',
      item: 'TRACK#Rumble',
      etag: head.ETag!.replaceAll('"', ''),
    })
    await emptyBucket(emulators.s3, BUCKETS.processing)
    const run = await waiting
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^unchanged {4}again\.json {2}\(already stored exactly so as Skrillex \/ TRACK#Rumble/m)
    expect(run.stdout).toContain('1 file, 1 uploaded, 1 unchanged (already stored), 0 stored, 0 quarantined.')
  })

  it('stops when the target fails, still reports every file, and says to run the command again (exit 4)', async () => {
    const dir = tree({'a.json': VALID, 'b.json': VALID, 'c.json': VALID})
    // Nothing listens on port 9 of the loopback: every request is refused.
    const run = await runCli(
      ['upload', dir, '--concurrency', '1', '--processing-bucket=anything', '--endpoint-url=http://127.0.0.1:9'],
      {env: emulators.env},
    )
    expect(run.exitCode).toBe(4)
    expect(run.stdout).toContain('3 files, 0 uploaded, 1 failed, 2 not attempted.')
    expect(run.stdout).toMatch(/^not uploaded .*a\.json \(a\.json\): .*ECONNREFUSED/m)
    expect(run.stderr).toContain('Error: The upload stopped:')
    expect(run.stderr).toContain('Then run the same command again')
  })

  it('says when a bucket does not exist (exit 4)', async () => {
    const dir = tree({'a.json': VALID})
    const run = await cli(['upload', dir], undefined, ['--processing-bucket=no-such-bucket'])
    expect(run.exitCode).toBe(4)
    expect(run.stderr).toContain('Bucket no-such-bucket does not exist')
  })
})

describe('upload against an S3 that honours conditional writes', () => {
  // The local pipeline's S3 emulator honours If-None-Match: * as S3 does (plain s3rver ignores it).
  it('does not replace an object still waiting under the same key, and says so (exit 4)', async () => {
    const directory = tempDir('ep-conditional-')
    const s3 = await startS3({
      directory,
      host: '127.0.0.1',
      port: 0,
      credentials: [emulators.credentials],
      buckets: ['waiting'],
    })
    try {
      const run = (content: string) =>
        runCli(
          [
            'upload',
            tree({'same.json': content}),
            `--endpoint-url=${s3.endpoint}`,
            '--processing-bucket=waiting',
            '--json',
          ],
          {env: emulators.env},
        )
      expect((await run(VALID)).exitCode).toBe(0)
      // The same content again (a re-run after an interruption): already sent, not a conflict.
      const again = await run(VALID)
      expect(again.exitCode).toBe(0)
      expect(JSON.parse(again.stdout).result.files[0]).toMatchObject({
        status: 'uploaded',
        alreadyInFlight: true,
        etag: expect.stringMatching(/^[0-9a-f]{32}$/),
      })
      const second = await run(VALID.replace('187', '188'))
      expect(second.exitCode).toBe(1)
      const {result} = JSON.parse(second.stdout)
      expect(result.files[0]).toMatchObject({key: 'same.json', status: 'in-flight-conflict', error: {code: 'InFlight'}})
      expect(result.summary).toMatchObject({uploaded: 0, failed: 1})
    } finally {
      await s3.close()
    }
  })
})
