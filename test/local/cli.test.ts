import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import {expect, test} from 'vitest'

import {localClients} from '#local/target.js'
import type {LocalPipelineState} from '#local/state.js'
import {waitFor} from '../helpers/local-process.js'
import {cliEnv, isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'

test('local start runs in the foreground; status, a second start and reset see it; Ctrl-C stops it with one JSON summary', async () => {
  const env = isolatedXdg()
  const stateFile = join(env.XDG_DATA_HOME!, 'eventpulse', 'local', 'state.json')
  const child = spawn(
    process.execPath,
    [
      join(PROJECT_ROOT, 'bin/run.js'),
      ...['local', 'start', '--s3-port', '0', '--dynamodb-port', '0', '--json'],
      ...['--sweep-every', '2s', '--stuck-after', '1h30m'],
    ],
    {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  try {
    const state = await waitFor('the state file', () =>
      existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as LocalPipelineState) : undefined,
    )
    expect(state.pid).toBe(child.pid)

    const {s3, dynamodb} = localClients(state)
    await s3.send(
      new PutObjectCommand({
        Bucket: state.processingBucket,
        Key: 'cli/skrillex.json',
        Body: readFileSync(join(PROJECT_ROOT, 'examples/valid/skrillex-rumble.json')),
        IfNoneMatch: '*',
      }),
    )
    await waitFor('the stored notification on stderr', () =>
      stderr.includes('stored      cli/skrillex.json → Skrillex / TRACK#Rumble') ? true : undefined,
    )
    // A batch of two records is one upload but two records: every count below counts it as two.
    await s3.send(
      new PutObjectCommand({
        Bucket: state.processingBucket,
        Key: 'cli/two.ndjson',
        Body: '{"ArtistID": "A", "ItemID": "TRACK#1"}\n{"ArtistID": "A", "ItemID": "TRACK#2"}\n',
        IfNoneMatch: '*',
      }),
    )
    await waitFor('the batch notification on stderr', () => (stderr.includes('cli/two.ndjson') ? true : undefined))
    s3.destroy()
    dynamodb.destroy()
    // The counts since start (what the processor's metrics count on AWS) reach the state file within about a second.
    await waitFor('the stored records counted in the state file', () => {
      const {outcomes} = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalPipelineState
      return outcomes?.stored === 3 ? true : undefined
    })

    const status = await runCli(['local', 'status', '--json'], {env})
    expect(status.exitCode).toBe(0)
    expect(JSON.parse(status.stdout).result).toMatchObject({
      running: true,
      state: {
        pid: child.pid,
        endpoints: state.endpoints,
        sweep: {everySeconds: 2, stuckAfterSeconds: 5400, recovered: 0, givenUp: 0},
        outcomes: {stored: 3, unchanged: 0, quarantined: 0, skipped: 0, failed: 0, recoveredBySweep: 0, reasons: {}},
      },
    })
    const human = (await runCli(['local', 'status'], {env})).stdout
    expect(human).toContain('Sweep:             every 2s, objects older than 1h30m; 0 recovered, 0 given up')
    expect(human).toContain(
      'Since start:       records 3 stored, 0 unchanged, 0 quarantined; ' +
        'uploads 0 skipped, 0 failed tries, 0 recovered by the sweep',
    )

    const second = await runCli(['local', 'start', '--s3-port', '0', '--dynamodb-port', '0', '--json'], {env})
    expect(second.exitCode).toBe(2)
    expect(JSON.parse(second.stdout).error).toMatchObject({
      code: 'LocalPipelineRunning',
      message: expect.stringContaining(`pid ${child.pid}`),
    })

    const reset = await runCli(['local', 'reset', '--yes'], {env})
    expect(reset.exitCode).toBe(2)
    expect(reset.stderr).toContain('Stop it first')
  } finally {
    child.kill('SIGINT')
  }
  expect(await exited).toBe(0)
  const summary = JSON.parse(stdout)
  expect(summary).toMatchObject({
    status: 0,
    result: {stats: {stored: 1, quarantined: 0, deadLettered: 0}, stoppedBy: 'SIGINT'},
  })
  // The same count of truth as `local status` gave, in the same words.
  expect(stderr).toContain(
    'Stopped. Since start: records 3 stored, 0 unchanged, 0 quarantined; ' +
      'uploads 0 skipped, 0 failed tries, 0 recovered by the sweep, 0 dead-lettered.',
  )
  expect(existsSync(stateFile)).toBe(false)

  const stopped = await runCli(['local', 'status'], {env})
  expect(stopped.exitCode).toBe(1)
  expect(stopped.stdout).toContain('not running')

  const unconfirmed = await runCli(['local', 'reset'], {env})
  expect(unconfirmed.exitCode).toBe(2)
  expect(unconfirmed.stderr).toContain('--yes')
  expect(existsSync(join(env.XDG_DATA_HOME!, 'eventpulse', 'local', 'outbox.jsonl'))).toBe(true)

  const wiped = await runCli(['local', 'reset', '--yes', '--json'], {env})
  expect(wiped.exitCode).toBe(0)
  expect(JSON.parse(wiped.stdout).result).toMatchObject({deleted: true})
  expect(existsSync(join(env.XDG_DATA_HOME!, 'eventpulse', 'local'))).toBe(false)
})

test('local start refuses a sweep interval or stuck age that is not a positive duration', async () => {
  for (const flags of [
    ['--sweep-every', 'soon'],
    ['--stuck-after', '0s'],
  ]) {
    const start = await runCli(['local', 'start', ...flags, '--json'], {env: isolatedXdg()})
    expect(start.exitCode, flags.join(' ')).toBe(2)
    expect(JSON.parse(start.stdout).error.message).toMatch(/Not a (positive )?duration/)
  }
})

test('--local commands get a clear usage error when no local pipeline runs', async () => {
  const status = await runCli(['local', 'status', '--json'], {env: isolatedXdg()})
  expect(status.exitCode).toBe(1)
  expect(JSON.parse(status.stdout)).toMatchObject({status: 1, result: {running: false}})
})
