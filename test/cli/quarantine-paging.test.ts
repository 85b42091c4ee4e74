import {PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {mapConcurrently} from '#core/concurrency.js'
import {runCli} from '../helpers/run-cli.js'
import {BUCKETS, type Emulators, startEmulators} from './helpers/emulators.js'
import {quarantine} from './helpers/pipeline-fixtures.js'

// Against s3rver directly (no processor): more than one page of quarantine entries, and objects left in processing.

let emulators: Emulators
// `quarantine` commands take the quarantine bucket's flag only (a command takes only the flags it uses).
const cli = (args: string[]) =>
  runCli(
    [
      ...args,
      `--endpoint-url=${emulators.s3Endpoint}`,
      ...(args[0] === 'quarantine' ? [`--quarantine-bucket=${BUCKETS.quarantine}`] : emulators.flags),
    ],
    {env: {...emulators.env, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint}},
  )

const ENTRIES = 1005

beforeAll(async () => {
  emulators = await startEmulators()
  await mapConcurrently(
    Array.from({length: ENTRIES}, (_, i) => `batch/record-${String(i).padStart(4, '0')}.json`),
    32,
    (key, i) =>
      quarantine(emulators.s3, key, {reason: i % 2 ? 'schema' : 'invalid-json', message: `problem naïve №${i}`}),
  )
})
afterAll(() => emulators?.stop())

describe('quarantine list past one page', () => {
  it('lists every entry of more than 1,000, with reasons decoded', async () => {
    const run = await cli(['quarantine', 'list', '--json', '--concurrency', '32'])
    expect(run.exitCode).toBe(0)
    const {result} = JSON.parse(run.stdout)
    expect(result.count).toBe(ENTRIES)
    expect(new Set(result.entries.map((e: {sourceKey: string}) => e.sourceKey)).size).toBe(ENTRIES)
    expect(result.entries.at(-1)).toMatchObject({
      sourceKey: 'batch/record-1004.json',
      reason: 'invalid-json',
      message: 'problem naïve №1004',
    })
  })

  it('stops at --limit, across the page boundary', async () => {
    const {result} = JSON.parse((await cli(['quarantine', 'list', '--json', '--limit', '1002'])).stdout)
    expect(result.count).toBe(1002)
    expect(result.entries.at(-1).sourceKey).toBe('batch/record-1001.json')
  })

  it('narrows to --prefix', async () => {
    const run = await cli(['quarantine', 'list', '--prefix', 'batch/record-100'])
    expect(run.stdout.trim().split('\n')).toHaveLength(5)
    expect(run.stderr).toContain('5 entries in quarantine')
  })
})

describe('status --stuck', () => {
  it('lists objects waiting in the processing bucket longer than --older-than, and exits 1', async () => {
    await emulators.s3.send(new PutObjectCommand({Bucket: BUCKETS.processing, Key: 'waiting.json', Body: '{}'}))
    const none = await cli(['status', '--stuck', '--older-than', '1h'])
    expect(none.exitCode).toBe(0)
    expect(none.stdout).toContain('0 objects have waited longer than 3600 s.')
    const run = await cli(['status', '--stuck', '--older-than', '0s', '--json'])
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout).result.stuck).toEqual([expect.objectContaining({key: 'waiting.json', size: 2})])
    const status = await cli(['status', 'waiting.json'])
    expect(status.stdout).toMatch(/^in flight {4}waiting\.json {2}\(uploaded \d{4}-/)
    expect(status.exitCode).toBe(0)
  })

  it('refuses a duration it cannot read (exit 2)', async () => {
    const run = await cli(['status', '--stuck', '--older-than', 'soon'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Not a duration: soon')
  })
})

describe('quarantine rm', () => {
  it('says how long a deleted entry stays recoverable; --purge removes it outright where S3 keeps no versions', async () => {
    const kept = await quarantine(emulators.s3, 'rm/kept.json')
    const deleted = await cli(['quarantine', 'rm', kept, '--yes'])
    expect(deleted.exitCode).toBe(0)
    expect(deleted.stderr).toMatch(/stay recoverable for 90 days as noncurrent versions; --purge deletes every version/)

    const purged = await quarantine(emulators.s3, 'rm/purged.json')
    const run = await cli(['quarantine', 'rm', purged, '--purge', '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).result.done).toEqual([purged])
    const check = await cli(['quarantine', 'check', 'rm/purged.json'])
    expect(check.exitCode).toBe(1)
  })
})
