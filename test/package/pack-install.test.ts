import {execFile} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {beforeAll, describe, expect, it, vi} from 'vitest'

import {offlineEnv} from '../deploy/offline-env.js'
import {FIRST_SYNTH_TIMEOUT_MS} from '../infra/synth.js'
import {PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {tempDir} from '../helpers/temp-dirs.js'

// A deploy --dry-run here is a first CDK synth in a fresh process.
vi.setConfig({testTimeout: FIRST_SYNTH_TIMEOUT_MS})

// What a user gets from `npm install -g eventpulse`: the packed tarball, installed into an empty prefix (once for
// every test here: installing aws-cdk-lib takes a while).
let installedBin: string
let tarballFiles: string[]
let work: string

beforeAll(async () => {
  work = tempDir('eventpulse-pack-')
  // Not execFileSync: a worker blocked for a minute misses vitest's own messages and fails the run (vitest.config.ts).
  const npm = async (args: string[], cwd = PROJECT_ROOT) =>
    (await promisify(execFile)('npm', args, {cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20})).stdout
  // The build already ran (npm test builds first); --ignore-scripts keeps `prepack` from building again.
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work]))
  tarballFiles = packed[0].files.map((f: {path: string}) => f.path)
  const tarball = join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz'))!,
  )
  await npm(
    ['install', '--global', '--prefix', join(work, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', tarball],
    work,
  )
  installedBin = join(work, 'prefix/bin/eventpulse')
}, 600_000)

describe('the packed package', () => {
  it('ships the built CLI, the manifest and the Lambda bundle, and no sources or tests', () => {
    expect(tarballFiles).toContain('oclif.manifest.json')
    expect(tarballFiles).toContain('bin/run.js')
    expect(tarballFiles).toContain('dist/src/commands/validate.js')
    expect(tarballFiles).toContain('dist/src/lib/schema/item.validate.js')
    expect(tarballFiles).toContain('dist/lambda-bundle/processor/index.mjs')
    expect(
      tarballFiles.filter(
        (f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('dist/test') || f.startsWith('dist/bench'),
      ),
    ).toEqual([])
  })

  it('installs a working eventpulse command', async () => {
    const version = await runCli(['--version'], {bin: installedBin})
    expect(version.exitCode).toBe(0)
    expect(version.stdout).toMatch(/^eventpulse\/\d+\.\d+\.\d+ /)
  })

  it('validates records from the installed command', async () => {
    const valid = await runCli(['validate', join(PROJECT_ROOT, 'examples/valid')], {bin: installedBin})
    expect(valid.stdout).toMatch(/Checked 3 files: 3 valid, 0 invalid/)
    expect(valid.exitCode).toBe(0)
    const invalid = await runCli(['validate', join(PROJECT_ROOT, 'examples/invalid/features-bare-strings.json')], {
      bin: installedBin,
    })
    expect(invalid.exitCode).toBe(1)
  })

  it('answers help, the version and typos from the installed command, as from the clone', async () => {
    const run = (args: string[]) => runCli(args, {bin: installedBin})
    const [help, helpValidate, validateH, version, v] = await Promise.all([
      run(['help']),
      run(['help', 'validate']),
      run(['validate', '-h']),
      run(['version']),
      run(['-v']),
    ])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatch(/^ {2}validate +Check records offline/m)
    expect(helpValidate.exitCode).toBe(0)
    expect(helpValidate.stdout).toContain('$ eventpulse validate [PATHS...]')
    expect(validateH.stdout).toBe(helpValidate.stdout)
    expect(version.exitCode).toBe(0)
    expect(version.stdout).toMatch(/^eventpulse\/\d+\.\d+\.\d+ \S+ node-v[\d.]+\n$/)
    expect(v.stdout).toBe(version.stdout)

    const command = await run(['valdate', 'x'])
    expect(command.exitCode).toBe(2)
    expect(command.stderr).toContain('Did you mean `eventpulse validate x`?')
    const commandJson = await run(['valdate', 'x', '--json'])
    expect(JSON.parse(commandJson.stdout).error.code).toBe('CommandNotFound')
    const flag = await run(['validate', 'x', '--jsn'])
    expect(flag.exitCode).toBe(2)
    expect(flag.stderr).toContain('Did you mean --json?')
    const flagJson = await run(['status', 'x', '--stak', 'S', '--json'])
    expect(flagJson.exitCode).toBe(2)
    expect(JSON.parse(flagJson.stdout).error).toMatchObject({
      code: 'UnknownFlag',
      hint: expect.stringContaining('--stack'),
    })
  })

  it('lists every command in its help', async () => {
    const help = await runCli(['--help'], {bin: installedBin})
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toContain('validate')
  })

  // `deploy` must work from a global install: the toolkit builds the app in-process and the processor ships prebuilt
  // (no esbuild, no Docker, no separate `cdk`).
  it('synthesizes the deploy template with the bundled processor, with no network access, from any directory', async () => {
    const {env, networkLog, home} = offlineEnv()
    const output = join(home, 'assembly')
    const run = await runCli(['deploy', '--dry-run', '--output', output, '--region', 'eu-west-1'], {
      bin: installedBin,
      cwd: home,
      env,
    })

    expect(run.stderr).not.toMatch(/Error/)
    expect(run.exitCode).toBe(0)
    expect(existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '').toBe('')
    expect(run.stdout).toMatch(/Would deploy stack EventPulse to eu-west-1: \d+ resources/)
    expect(run.stdout).toMatch(/AWS::Lambda::Function\s+1\n/)
    const manifest = JSON.parse(readFileSync(join(output, 'EventPulse.assets.json'), 'utf8'))
    const [asset] = Object.values(
      manifest.files as Record<string, {source: {path: string; packaging?: string}}>,
    ).filter((f) => f.source.packaging === 'zip')
    expect(readdirSync(join(output, asset.source.path))).toEqual(['index.mjs'])
  })
})
