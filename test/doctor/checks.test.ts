import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {HeadBucketCommand, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type PipelineTarget} from '#aws/clients.js'
import {CliError} from '#core/errors.js'
import {
  accessRecordCheck,
  adminMfaCheck,
  attempt,
  dashboardCheck,
  localChecks,
  localPipelineCheck,
  missingOutputs,
  nodeCheck,
  resourceChecks,
  schemaCheck,
} from '#doctor/checks.js'
import type {LocalPipelineState} from '#local/state.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline, temporaryDir} from '../processor/helpers.js'

/** The schema's digest computed here from the schema file itself, not taken from the module under test. */
const schemaFileHash = createHash('sha256')
  .update(JSON.stringify(JSON.parse(readFileSync('src/lib/schema/item.schema.json', 'utf8'))))
  .digest('hex')
  .slice(0, 16)

describe('doctor: the checks that need no pipeline', () => {
  it('fails Node.js 18, warns on 20 (the SDK drops it in January 2027), passes 22 and 24', () => {
    expect(nodeCheck('18.19.1')).toEqual({
      check: 'node',
      status: 'fail',
      detail: 'Node.js 18.19.1 is too old',
      fix: 'Install Node.js 22 or newer.',
    })
    expect(nodeCheck('20.0.0')).toEqual({
      check: 'node',
      status: 'warn',
      detail: 'Node.js 20.0.0',
      fix: 'The AWS SDK drops Node.js 20 in January 2027: move to Node.js 22 or newer.',
    })
    expect(nodeCheck('21.7.3').status).toBe('warn')
    expect(nodeCheck('22.0.0')).toEqual({check: 'node', status: 'pass', detail: 'Node.js 22.0.0'})
    expect(nodeCheck('24.11.1')).toEqual({check: 'node', status: 'pass', detail: 'Node.js 24.11.1'})
  })

  it('says whether the local pipeline runs, failing only where the command needs it', () => {
    const state = {pid: 4242, endpoints: {s3: 'http://127.0.0.1:4569', dynamodb: 'http://127.0.0.1:4567'}}
    const running = {running: true, dataDir: '/d', state: state as LocalPipelineState} as const
    expect(localPipelineCheck(running, true)).toEqual({
      check: 'local pipeline',
      status: 'pass',
      detail: 'running (pid 4242, S3 at http://127.0.0.1:4569)',
    })
    expect(localPipelineCheck({running: false, dataDir: '/d'}, true)).toEqual({
      check: 'local pipeline',
      status: 'fail',
      detail: 'not running',
      fix: 'Start it with `eventpulse local start` in another terminal.',
    })
    expect(localPipelineCheck({running: false, dataDir: '/d', staleState: true}, true).detail).toBe(
      'not running (its last run ended without cleaning up)',
    )
    expect(localPipelineCheck({running: false, dataDir: '/d'}, false)).toEqual({
      check: 'local pipeline',
      status: 'pass',
      detail: 'not running; only --local needs it',
    })
  })

  it("compares the pipeline's schema digest with the CLI's: none published, another, the same", () => {
    expect(schemaCheck(undefined, 'Stack S')).toEqual({
      check: 'schema',
      status: 'warn',
      detail: 'Stack S publishes no schema hash (set up by an older EventPulse)',
      fix: 'Redeploy (or restart `local start`) with this version.',
    })
    const other = schemaCheck('0123456789abcdef', 'Stack S')
    expect(other.status).toBe('warn')
    expect(other.detail).toBe(
      `Stack S checks records with schema 0123456789abcdef, this CLI with ${schemaFileHash}: ` +
        '`validate` may pass what the pipeline quarantines, or the other way round',
    )
    expect(other.fix).toBe(
      'Deploy with this version of EventPulse (or restart `local start`), or use the CLI version that deployed it.',
    )
    expect(schemaCheck(schemaFileHash, 'Stack S')).toEqual({
      check: 'schema',
      status: 'pass',
      detail: `the same as this CLI's (${schemaFileHash})`,
    })
  })

  it('shows the dashboard, the admin MFA setting and the access record only where the stack publishes them', () => {
    expect(dashboardCheck(undefined)).toEqual([])
    expect(dashboardCheck('https://console/d')).toEqual([
      {check: 'dashboard', status: 'pass', detail: 'https://console/d'},
    ])
    expect(adminMfaCheck(undefined)).toEqual([])
    expect(adminMfaCheck('true')).toEqual([
      {check: 'admin MFA', status: 'pass', detail: 'the quarantine-admin role requires MFA'},
    ])
    expect(adminMfaCheck('false')).toEqual([
      {
        check: 'admin MFA',
        status: 'warn',
        detail: 'the quarantine-admin role does not require MFA (deployed with --no-require-mfa)',
        fix: 'Redeploy without --no-require-mfa, then run quarantine commands with --mfa-serial or a profile with mfa_serial.',
      },
    ])
    expect(accessRecordCheck(undefined)).toEqual([])
    expect(accessRecordCheck('s3://logs/q/')).toEqual([
      {
        check: 'access record',
        status: 'pass',
        detail: 's3://logs/q/ (S3 server access logs of the quarantine bucket, sessions named by caller)',
      },
    ])
  })

  it("turns a thrown error into a failed line with the error's hint", async () => {
    const failed = await attempt('stack', async () => {
      throw new CliError('Stack EventPulse was not found.', {exitCode: 4, hint: 'Deploy it first.'})
    })
    expect(failed).toEqual({
      check: 'stack',
      status: 'fail',
      detail: 'Stack EventPulse was not found.',
      fix: 'Deploy it first.',
    })
  })

  it('names the stack outputs an older stack lacks', () => {
    const missing = missingOutputs({ProcessingBucketName: 'p'})
    expect(missing).not.toContain('ProcessingBucketName')
    expect(missing).toContain('QuarantineBucketName')
    expect(missing).toContain('TableName')
  })

  it('fails a resource that does not answer, with its name, and passes the others', async () => {
    const s3 = new S3Client({region: 'us-east-1', credentials: {accessKeyId: 'a', secretAccessKey: 's'}})
    s3.send = (async (command: HeadBucketCommand) => {
      if (command.input.Bucket === 'gone')
        throw new CliError('Bucket gone does not exist.', {exitCode: 4, hint: 'Check --stack.'})
      return {}
    }) as never
    const target = {s3, resources: {processingBucket: 'here', quarantineBucket: 'gone'}} as unknown as PipelineTarget
    expect(await resourceChecks(target, ['processingBucket', 'quarantineBucket'])).toEqual([
      {check: 'processingBucket', status: 'pass', detail: 'here reachable'},
      {check: 'quarantineBucket', status: 'fail', detail: 'Bucket gone does not exist.', fix: 'Check --stack.'},
    ])
  })
})

describe('doctor --local, in-process', () => {
  let t: TestPipeline

  beforeAll(async () => {
    t = await startTestPipeline({writeState: true})
  })
  afterAll(() => stopTestPipeline(t))

  it('passes Node, the pipeline, both buckets, both tables and the schema of a running pipeline', async () => {
    const checks = await localChecks(t.dataDir)
    expect(checks.map(({check, status}) => `${check}: ${status}`)).toEqual([
      `node: ${Number(process.versions.node.split('.')[0]) < 22 ? 'warn' : 'pass'}`,
      'local pipeline: pass',
      'processingBucket: pass',
      'quarantineBucket: pass',
      'table: pass',
      'outcomesTable: pass',
      'schema: pass',
    ])
    expect(checks[1]!.detail).toBe(`running (pid ${process.pid}, S3 at ${t.pipeline.state.endpoints.s3})`)
  })

  it("warns when the running pipeline checks records with another schema than this CLI's", async () => {
    // The same running pipeline, as a state file that says an older EventPulse started it.
    const older = await temporaryDir()
    writeFileSync(join(older, 'state.json'), JSON.stringify({...t.pipeline.state, schemaHash: '0123456789abcdef'}))
    const schema = (await localChecks(older)).at(-1)
    expect(schema?.status).toBe('warn')
    expect(schema?.detail).toBe(
      `The local pipeline checks records with schema 0123456789abcdef, this CLI with ${schemaFileHash}: ` +
        '`validate` may pass what the pipeline quarantines, or the other way round',
    )
  })

  it('stops after the pipeline check when none runs, or its state file was left by a process that died', async () => {
    const empty = await temporaryDir()
    expect((await localChecks(empty)).map(({check, status}) => `${check}: ${status}`).slice(1)).toEqual([
      'local pipeline: fail',
    ])
    const stale = await temporaryDir()
    writeFileSync(join(stale, 'state.json'), JSON.stringify({...t.pipeline.state, pid: 2 ** 22 + 12_345}))
    const checks = await localChecks(stale)
    expect(checks).toHaveLength(2)
    expect(checks[1]!.detail).toBe('not running (its last run ended without cleaning up)')
  })
})
