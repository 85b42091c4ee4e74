import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {pasteShell} from './helpers/paste.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'

// Every command a hint prints runs as printed, pasted into a shell, against the target the command used.

let dir: string
const shell = pasteShell()
const paste = shell.paste
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ep-hints-'))
})
afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
  shell.remove()
})

const record = (n: number) => JSON.stringify({ArtistID: 'Hints', ItemID: `TRACK#${n}`, EntityType: 'Track'})

describe('against a running local pipeline', () => {
  let pipeline: LocalPipeline
  let env: NodeJS.ProcessEnv
  let cli: Awaited<ReturnType<typeof startPipelineForCli>>['cli']

  // The processor holds uploads under late/ until released: an upload there cannot settle before --wait gives up.
  let releaseLate: () => void
  const late = new Promise<void>((resolve) => (releaseLate = resolve))

  beforeAll(async () => {
    ;({pipeline, env, cli} = await startPipelineForCli({
      instrumentHandlerClients(clients) {
        clients.s3.middlewareStack.add(
          (next) => async (args) => {
            if ((args.input as {Key?: string}).Key?.startsWith('late/')) await late
            return next(args)
          },
          {step: 'initialize', name: 'holdLateUploads'},
        )
      },
    }))
  })
  afterAll(() => {
    releaseLate()
    return pipeline?.stop()
  })

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
    releaseLate()
    const hint = run.stderr.match(/see them later with: (.+)$/m)?.[1]
    expect(hint, run.stderr).toBe(`eventpulse status ${file} --prefix late/ --local`)
    const later = await paste(hint!, env)
    expect(later.stdout, later.stderr).toMatch(/^(stored|in flight) +late\/late\.json/m)
  })

  it('a scan of the local table says every item is read, and nothing of billing', async () => {
    const run = await cli(['items', 'export', '--all'])
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toContain('(local pipeline): every item is read.')
    expect(run.stderr).not.toContain('billed')
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

  it('items export says why it takes no --json; its example sends the export back to the same local pipeline', async () => {
    const run = await runCli(['items', 'export', '--all', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('eventpulse items export takes no --json: its output is NDJSON already')
    const help = await runCli(['items', 'export', '-h'])
    expect(help.stdout).toMatch(
      /--all --typed --local > catalog\.ndjson && \\\n\s+eventpulse upload catalog\.ndjson --local\n/,
    )
  })

  it('a batch file refused for bad lines says how many, and names --no-validate', async () => {
    const file = join(dir, 'two-bad.ndjson')
    writeFileSync(file, [record(1), '{"ArtistID": "Hints"}', record(3), '{"ItemID": "TRACK#x"}'].join('\n') + '\n')
    const run = await runCli(['upload', file, '--dry-run'])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(`${file}: 2 bad lines, so the whole file was not sent; --no-validate sends it anyway`)
  })

  it("upload's help recommends a prefix per folder, as folders of the same layout give the same keys", async () => {
    const help = await runCli(['upload', '-h'])
    expect(help.stdout.replaceAll(/\s+/g, ' ')).toContain('upload each under its own --prefix.')
  })

  it('--timeout without a unit names the flag and the fix', async () => {
    const run = await runCli(['upload', join(PROJECT_ROOT, 'examples/valid'), '--timeout', '5', '--dry-run'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Not a duration: 5 (--timeout).')
    expect(run.stderr).toContain('--timeout 5s')
  })
})
