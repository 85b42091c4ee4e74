import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'

describe('doctor --local', () => {
  let pipeline: LocalPipeline
  let cli: (args: string[]) => ReturnType<typeof runCli>

  beforeAll(async () => {
    ;({pipeline, cli} = await startPipelineForCli())
  })
  afterAll(() => pipeline?.stop())

  it('passes every check on a healthy local pipeline', async () => {
    const run = await cli(['doctor', '--json'])
    const {result} = JSON.parse(run.stdout)
    const byCheck = Object.fromEntries(result.checks.map((c: {check: string; status: string}) => [c.check, c.status]))
    expect(byCheck).toMatchObject({
      'local pipeline': 'pass',
      processingBucket: 'pass',
      quarantineBucket: 'pass',
      table: 'pass',
      outcomesTable: 'pass',
      schema: 'pass',
    })
    expect(result.checks.filter((c: {status: string}) => c.status === 'fail')).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(result.next).toBe('eventpulse selftest --local')
  })

  it('suggests selftest, for the same target, when nothing failed', async () => {
    const run = await cli(['doctor'])
    expect(run.stdout.trim().split('\n').at(-1)).toBe(
      'Next, prove the pipeline works end to end: eventpulse selftest --local',
    )
  })

  it('warns, naming both hashes, when the running pipeline checks with another schema', async () => {
    const stateFile = pipeline.layout.stateFile
    const original = readFileSync(stateFile, 'utf8')
    try {
      writeFileSync(stateFile, JSON.stringify({...JSON.parse(original), schemaHash: '0123456789abcdef'}))
      const run = await cli(['doctor'])
      expect(run.stdout).toContain(`warn  schema: The local pipeline checks records with schema 0123456789abcdef`)
      expect(run.stdout).toContain(`this CLI with ${ITEM_SCHEMA_HASH}`)
      expect(run.exitCode).toBe(0)
    } finally {
      writeFileSync(stateFile, original)
    }
  })
})

describe('doctor --local without a running pipeline', () => {
  it('fails that check with how to start it, and exits 1', async () => {
    const run = await runCli(['doctor', '--local'], {env: isolatedXdg()})
    expect(run.stdout).toContain('FAIL  local pipeline: not running')
    expect(run.stdout).toContain('eventpulse local start')
    expect(run.exitCode).toBe(1)
  })
})

describe('doctor with no region anywhere', () => {
  it('still prints its check list, the region check failing with both ways out, and exits 1', async () => {
    const run = await runCli(['doctor'], {env: isolatedXdg()})
    expect(run.stdout).toMatch(/^(ok {2}|warn) {2}node: /m)
    expect(run.stdout).toContain('ok    local pipeline: not running; only --local needs it')
    expect(run.stdout).toContain('FAIL  region: No AWS region given.')
    expect(run.stdout).toContain('pass --region')
    expect(run.stdout).toContain('pass --local')
    expect(run.stdout).toContain('No local pipeline is running here')
    expect(run.stdout).toContain('1 failed')
    expect(run.stderr).toBe('')
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(
      'A region given only to `deploy --region` is not remembered: give it to every command.',
    )
  })

  it('after a deploy to a region given only to deploy, names that region', async () => {
    const env = isolatedXdg()
    try {
      // What `deploy --region eu-west-1` leaves: the stack's outputs cached under the profile and region.
      const cached = join(env.XDG_CACHE_HOME!, 'eventpulse', 'stacks', 'default', 'eu-west-1')
      mkdirSync(cached, {recursive: true})
      writeFileSync(join(cached, 'EventPulse.json'), '{}')
      const run = await runCli(['doctor'], {env})
      expect(run.stdout).toContain('FAIL  region: No AWS region given.')
      expect(run.stdout).toContain(
        'With this profile the stack was last deployed or reached in eu-west-1; a region given to `deploy --region` ' +
          'is not remembered, so pass --region eu-west-1 here too.',
      )
      expect(run.exitCode).toBe(1)
    } finally {
      rmSync(dirname(env.XDG_CACHE_HOME!), {recursive: true, force: true})
    }
  })
})
