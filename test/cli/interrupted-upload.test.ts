import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {ScanCommand} from '@aws-sdk/client-dynamodb'
import {ListObjectsCommand} from '@aws-sdk/client-s3'
import {afterEach, expect, it} from 'vitest'

import type {LocalPipelineState} from '#local/state.js'
import {localClients} from '#local/target.js'
import {waitFor} from '../helpers/local-process.js'
import {cliEnv, isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {tempDir} from '../helpers/temp-dirs.js'

// An upload of 500 files cut short by the local pipeline dying under it (SIGKILL, emulators and all), then the same
// command run again once the pipeline is back: the documented recovery.

const FILES = 500
const env = {...isolatedXdg(), NO_COLOR: '1'}
const stateFile = join(env.XDG_DATA_HOME!, 'eventpulse', 'local', 'state.json')
const running: ChildProcess[] = []

/** Generous here: the pipeline is started and stopped as a child process, twice. */
const WAIT_MS = 60_000

/** `local start` in a child process of its own (so that it can be killed), once its state file names it. */
async function startPipeline(): Promise<{child: ChildProcess; state: LocalPipelineState}> {
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, 'bin/run.js'), 'local', 'start', '--s3-port', '0', '--dynamodb-port', '0'],
    {env: cliEnv(env), stdio: 'ignore'},
  )
  running.push(child)
  const state = await waitFor(
    'the local pipeline to start',
    () => {
      const found = existsSync(stateFile) && (JSON.parse(readFileSync(stateFile, 'utf8')) as LocalPipelineState)
      return found && found.pid === child.pid ? found : undefined
    },
    WAIT_MS,
  )
  return {child, state}
}

afterEach(() => {
  for (const child of running) child.kill('SIGKILL')
})

it('reports every file when the pipeline dies part-way (exit 4), and running it again stores all, no duplicate', async () => {
  const dir = tempDir('ep-interrupted-')
  for (let i = 0; i < FILES; i++)
    writeFileSync(
      join(dir, `track-${String(i).padStart(3, '0')}.json`),
      JSON.stringify({ArtistID: `Artist ${i % 7}`, ItemID: `TRACK#Song ${i}`, EntityType: 'Track', Duration: 100 + i}),
    )
  const upload = (...flags: string[]) => runCli(['upload', dir, '--local', '--json', ...flags], {env})

  const first = await startPipeline()
  const {dynamodb} = localClients(first.state)
  // Two at a time, so that the pipeline dies while most files are still to be sent.
  const interrupted = upload('--concurrency', '2')
  await waitFor(
    'some records stored',
    async () => {
      const {Count = 0} = await dynamodb.send(new ScanCommand({TableName: first.state.table, Select: 'COUNT'}))
      return Count >= 40 ? Count : undefined
    },
    WAIT_MS,
  )
  first.child.kill('SIGKILL')
  dynamodb.destroy()

  const run = await interrupted
  expect(run.exitCode).toBe(4)
  const document = JSON.parse(run.stdout)
  expect(Object.keys(document)).toEqual(['status', 'error', 'result'])
  expect(document.status).toBe(4)
  expect(document.error.message).toMatch(/^The upload stopped: /)
  expect(document.error.hint).toContain('eventpulse local status')
  expect(document.error.hint).toContain('run the same command again')
  const {summary, files} = document.result
  expect(files).toHaveLength(FILES)
  expect(summary.files).toBe(FILES)
  expect(summary.uploaded + summary.unchanged + summary.failed + summary.notAttempted).toBe(FILES)
  expect(summary.notAttempted).toBeGreaterThan(0)
  expect(files.filter((f: {status: string}) => f.status === 'not-attempted')).toHaveLength(summary.notAttempted)

  // Back up: objects that were left in the processing bucket are processed again on start.
  const second = await startPipeline()
  const {s3} = localClients(second.state)
  await waitFor(
    'the objects left from the first run to be processed',
    async () => {
      const listed = await s3.send(new ListObjectsCommand({Bucket: second.state.processingBucket}))
      return (listed.Contents ?? []).length === 0 ? true : undefined
    },
    WAIT_MS,
  )
  s3.destroy()

  const rerun = await upload('--wait')
  expect(rerun.exitCode).toBe(0)
  const after = JSON.parse(rerun.stdout).result.summary
  expect(after).toMatchObject({files: FILES, failed: 0, notAttempted: 0, quarantined: 0, pending: 0})
  expect(after.unchanged + after.stored).toBe(FILES)
  // Only what had not been stored was sent.
  expect(after.uploaded).toBe(after.stored)
  expect(after.unchanged).toBeGreaterThanOrEqual(40)

  const quarantine = await runCli(['quarantine', 'list', '--local', '--json'], {env})
  expect(JSON.parse(quarantine.stdout).result.count).toBe(0)
  const status = await runCli(['status', dir, '--local', '--json'], {env})
  expect(status.exitCode).toBe(0)
  const keys = JSON.parse(status.stdout).result.keys
  expect(keys).toHaveLength(FILES)
  expect(keys.filter((key: {state: string}) => key.state !== 'stored')).toEqual([])
}, 300_000)
