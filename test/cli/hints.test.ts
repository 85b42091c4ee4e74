import {execFile} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {cliEnv, isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'

// Every command a hint prints runs as printed, pasted into a shell, against the target the command used.

let dir: string
let bin: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ep-hints-'))
  bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(
    join(bin, 'eventpulse'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(PROJECT_ROOT, 'bin/run.js')}" "$@"\n`,
  )
  chmodSync(join(bin, 'eventpulse'), 0o755)
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/**
 * Runs a printed command line as a user pasting it would: in bash, `eventpulse` on the PATH. Asynchronously: the
 * pipeline it talks to runs in this process.
 */
function paste(command: string, env: NodeJS.ProcessEnv): Promise<{status: number; stdout: string; stderr: string}> {
  const environment = cliEnv(env)
  const options = {cwd: dir, env: {...environment, PATH: `${bin}:${environment.PATH}`}}
  return new Promise((resolve) =>
    execFile('bash', ['-c', command], options, (error, stdout, stderr) =>
      resolve({status: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr}),
    ),
  )
}

const record = (n: number) => JSON.stringify({ArtistID: 'Hints', ItemID: `TRACK#${n}`, EntityType: 'Track'})

describe('against a running local pipeline', () => {
  let pipeline: LocalPipeline
  let env: NodeJS.ProcessEnv
  let cli: Awaited<ReturnType<typeof startPipelineForCli>>['cli']

  beforeAll(async () => {
    ;({pipeline, env, cli} = await startPipelineForCli())
  })
  afterAll(() => pipeline?.stop())

  it("a batch's hint to its quarantined records keeps --local, and runs as printed", async () => {
    const file = join(dir, 'catalog.ndjson')
    writeFileSync(file, [record(1), '{"ArtistID": "Hints"}'].join('\n') + '\n')
    const sent = await cli(['upload', file, '--no-validate', '--wait'])
    const hint = sent.stdout.match(/quarantined ones: (eventpulse [^,]+),/)?.[1]
    expect(hint, sent.stdout).toBe("eventpulse quarantine list --prefix 'catalog.ndjson/' --local")
    const status = await cli(['status', 'catalog.ndjson'])
    expect(status.stdout).toContain(hint)

    const listed = await paste(hint!, env)
    expect(listed.status, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('catalog.ndjson')
  })

  it('a --wait that timed out says how to see the outcomes later, for the same files, prefix and target', async () => {
    const file = join(dir, 'late.json')
    writeFileSync(file, record(2))
    const run = await cli(['upload', file, '--prefix', 'late/', '--wait', '--timeout', '0s'])
    const hint = run.stderr.match(/see them later with: (.+)$/m)?.[1]
    expect(hint, run.stderr).toBe(`eventpulse status ${file} --prefix late/ --local`)
    const later = await paste(hint!, env)
    expect(later.stdout, later.stderr).toMatch(/^(stored|in flight) +late\/late\.json/m)
  })

  it('with no region, says a local pipeline is running and that --local uses it', async () => {
    const run = await runCli(['status', 'a.json'], {
      env: {XDG_DATA_HOME: env.XDG_DATA_HOME, XDG_CACHE_HOME: env.XDG_CACHE_HOME},
    })
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('No AWS region given.')
    expect(run.stderr).toContain('pass --region')
    expect(run.stderr).toContain(`A local pipeline is running here (pid ${process.pid}): add --local to use it.`)
  })
})

describe('with nothing running', () => {
  it('with no region, names both ways out, and says no local pipeline runs', async () => {
    const run = await runCli(['quarantine', 'list'], {env: isolatedXdg()})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('For the local pipeline: pass --local.')
    expect(run.stderr).toContain('No local pipeline is running here: start one with `eventpulse local start`')
  })

  it('--local with the pipeline stopped exits 4, as an unreachable target does', async () => {
    const run = await runCli(['status', 'a.json', '--local'], {env: isolatedXdg()})
    expect(run.stderr).toContain('The local pipeline is not running.')
    expect(run.exitCode).toBe(4)
  })

  it('--timeout without a unit names the flag and the fix', async () => {
    const run = await runCli(['upload', join(PROJECT_ROOT, 'examples/valid'), '--timeout', '5', '--dry-run'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Not a duration: 5 (--timeout).')
    expect(run.stderr).toContain('--timeout 5s')
  })
})
