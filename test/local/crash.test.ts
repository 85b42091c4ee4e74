import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {GetItemCommand} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand} from '@aws-sdk/client-s3'
import {expect, test} from 'vitest'

import {OUTCOMES_TABLE} from '#contract/table.js'
import type {LocalPipelineState} from '#local/state.js'
import {localClients} from '#local/target.js'
import {localDataDir, runningState, spawnLocalStart, waitFor} from '../helpers/local-process.js'
import {isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {body, expectRunning, keys, storedBySourceKey} from './crash-helpers.js'

// Objects killed loose by a SIGKILL at random moments: crash-loop.test.ts, a stress test (`npm run test:stress`).

/** Writes one object's files into s3rver's directory as its FilesystemStore lays them out. */
function writeObjectFiles(
  s3Directory: string,
  bucket: string,
  key: string,
  files: {content: string; md5?: string; metadata?: string},
) {
  const base = join(s3Directory, bucket, `${key}._S3rver_`)
  mkdirSync(dirname(base), {recursive: true})
  writeFileSync(`${base}object`, files.content)
  if (files.md5 !== undefined) writeFileSync(`${base}object.md5`, files.md5)
  if (files.metadata !== undefined) writeFileSync(`${base}metadata.json`, files.metadata)
}

test('start sets aside the half-written objects a crash left, says so, repairs what it can and processes the rest', async () => {
  const env = isolatedXdg()
  const dataDir = localDataDir(env)
  const s3Directory = join(dataDir, 's3')
  const metadata = JSON.stringify({'content-type': 'application/json'})
  const record = (i: number) => body(i + 1)
  // An object written whole (by an older s3rver, without our recorded MD5), one whose MD5 file was cut short.
  writeObjectFiles(s3Directory, 'eventpulse-processing', 'half/whole.json', {content: record(1), metadata})
  writeObjectFiles(s3Directory, 'eventpulse-processing', 'half/short-md5.json', {
    content: record(2),
    md5: '3f2a',
    metadata,
  })
  // A PUT killed between its content and its metadata; a quarantine copy killed while writing its metadata.
  writeObjectFiles(s3Directory, 'eventpulse-processing', 'half/cut.json', {content: record(3)})
  writeObjectFiles(s3Directory, 'eventpulse-quarantine', 'half/x.json/q-0123456789abcdef', {
    content: 'x',
    metadata: '{"content-ty',
  })
  // What interrupted writes and deletes leave beside objects.
  writeObjectFiles(s3Directory, 'eventpulse-processing', 'half/tmp.json', {content: record(4), metadata})
  writeFileSync(join(s3Directory, 'eventpulse-processing', 'half/tmp.json._S3rver_object.4242.tmp'), 'par')
  writeFileSync(join(s3Directory, 'eventpulse-processing', 'gone.json._S3rver_metadata.json'), metadata)

  const run = spawnLocalStart(env, {args: ['--json']})
  const state = await runningState(env, run)
  await waitFor('the start-up lines', () => run.stderr().includes('local pipeline running') || undefined)
  expect(run.stderr()).toContain('Set aside 2 half-written object(s) left by an interrupted run')
  expect(run.stderr()).toContain('eventpulse-processing/half/cut.json: its metadata file is missing')
  expect(run.stderr()).toContain('eventpulse-quarantine/half/x.json/q-0123456789abcdef: its metadata file is cut short')
  await expectRunning(env, run)
  const {s3} = localClients(state)
  await waitFor(
    'the leftovers to be processed',
    async () => (await keys(s3, state.processingBucket)).length === 0 || undefined,
  )
  expect(await keys(s3, state.quarantineBucket)).toEqual([])
  s3.destroy()
  expect([...(await storedBySourceKey(state)).keys()].sort()).toEqual([
    'half/short-md5.json',
    'half/tmp.json',
    'half/whole.json',
  ])
  expect(readdirSync(join(s3Directory, 'eventpulse-processing'))).toEqual([])

  run.child.kill('SIGINT')
  expect(await run.exited).toBe(0)
  const {result} = JSON.parse(run.stdout())
  expect(result.setAside).toEqual([
    expect.objectContaining({bucket: 'eventpulse-processing', key: 'half/cut.json'}),
    expect.objectContaining({bucket: 'eventpulse-quarantine', key: 'half/x.json/q-0123456789abcdef'}),
  ])
  const [report] = readdirSync(join(dataDir, 'damaged'))
  const setAside = join(dataDir, 'damaged', report)
  expect(readFileSync(join(setAside, 'eventpulse-processing', 'half', 'cut.json._S3rver_object'), 'utf8')).toBe(
    record(3),
  )
  expect(readdirSync(join(setAside, 'eventpulse-quarantine', 'half', 'x.json')).sort()).toEqual([
    'q-0123456789abcdef._S3rver_metadata.json',
    'q-0123456789abcdef._S3rver_object',
  ])
  expect(JSON.parse(readFileSync(join(setAside, 'report.json'), 'utf8'))).toEqual(result.setAside)
})

const failUnderStart = join(PROJECT_ROOT, 'test/local/fixtures/fail-under-start.mjs')

test.each([
  ['s3-error', 'The local S3 (s3rver) stopped working: accept EMFILE'],
  ['s3-closed', 'The local S3 (s3rver) stopped working: its server closed'],
  ['rejection', 'The local pipeline stopped on an error nothing handled: simulated failure nobody handled'],
])(
  'when %s happens under local start, it stops with a clear message and exit 4, not silently or with a stack',
  async (failure, message) => {
    const env = {...isolatedXdg(), EVENTPULSE_TEST_FAILURE: failure}
    const run = spawnLocalStart(env, {args: ['--json'], nodeArgs: ['--import', failUnderStart]})
    expect(await run.exited).toBe(4)
    expect(JSON.parse(run.stdout())).toMatchObject({status: 4, error: {message: expect.stringContaining(message)}})
    expect(run.stderr()).not.toMatch(/^\s+at /m)
    const status = await runCli(['local', 'status'], {env})
    expect(status.exitCode).toBe(1)
    expect(status.stdout).not.toContain('last run ended without cleaning up')
  },
)

test('Ctrl-C in the middle of a batch stops it at the next record, and the next start continues it at once', async () => {
  const env = isolatedXdg()
  const key = 'ctrl-c/catalog.ndjson'
  const total = 10_000
  const body = Array.from({length: total}, (_, i) =>
    JSON.stringify({ArtistID: 'Ctrl C', ItemID: `TRACK#${i + 1}`, EntityType: 'Track'}),
  ).join('\n')
  const outcome = async (state: LocalPipelineState, etag: string) => {
    const {dynamodb} = localClients(state)
    const {Item = {}} = await dynamodb.send(
      new GetItemCommand({
        TableName: state.outcomesTable,
        Key: {[OUTCOMES_TABLE.partitionKey]: {S: key}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
        ConsistentRead: true,
      }),
    )
    dynamodb.destroy()
    return Item
  }
  const {nextLine, outcome: done, counts} = OUTCOMES_TABLE.attributes

  try {
    const first = spawnLocalStart(env, {args: ['--json']})
    let state = await runningState(env, first)
    const {s3} = localClients(state)
    const {ETag} = await s3.send(
      new PutObjectCommand({Bucket: state.processingBucket, Key: key, Body: body, IfNoneMatch: '*'}),
    )
    s3.destroy()
    const etag = ETag!.replaceAll('"', '')
    // Past its first checkpoint: the batch is under way.
    await waitFor(
      'the first checkpoint',
      async () => (Number((await outcome(state, etag))[nextLine]?.N ?? 1) > 1 ? true : undefined),
      60_000,
    )
    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)
    // It stopped part-way, rather than finishing the batch first.
    expect(JSON.parse(first.stdout()).result.stats).toMatchObject({batch: 0, continuing: 1})

    const second = spawnLocalStart(env)
    state = await runningState(env, second)
    const record = await waitFor(
      'the batch to be done',
      async () => {
        const item = await outcome(state, etag)
        return item[done]?.S === 'batch' ? item : undefined
      },
      120_000,
    )
    expect(JSON.parse(record[counts].S!)).toMatchObject({records: total, stored: total})
    // Its lease was given up at the stop: the next start did not wait for it.
    const log = readFileSync(join(localDataDir(env), 'pipeline.log'), 'utf8')
    expect(log).not.toContain('"why":"leased"')
    second.child.kill('SIGINT')
    expect(await second.exited).toBe(0)
  } finally {
    rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
  }
}, 240_000)
