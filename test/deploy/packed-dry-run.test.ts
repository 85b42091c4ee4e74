import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {offlineEnv} from './offline-env.js'

// `deploy` must work from a globally installed package: the app is built in-process by the toolkit, and the processor
// ships prebuilt in the package (no esbuild, no Docker, no `cdk` install). Installing aws-cdk-lib takes a minute or two;
// EVENTPULSE_SKIP_PACKED_DEPLOY=1 skips this for quick local runs.
describe.skipIf(Boolean(process.env.EVENTPULSE_SKIP_PACKED_DEPLOY))('deploy --dry-run from the packed package', () => {
  let installedBin: string

  beforeAll(() => {
    const work = mkdtempSync(join(tmpdir(), 'eventpulse-pack-deploy-'))
    const npm = (args: string[], cwd = PROJECT_ROOT) => execFileSync('npm', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    npm(['pack', '--ignore-scripts', '--pack-destination', work])
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!)
    npm(['install', '--global', '--prefix', join(work, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', tarball], work)
    installedBin = join(work, 'prefix/bin/eventpulse')
  }, 600_000)

  it('synthesizes the template with the bundled processor, with no network access, from any directory', async () => {
    const {env, networkLog, home} = offlineEnv()
    const output = join(home, 'assembly')
    const run = await runCli(['deploy', '--dry-run', '--output', output, '--region', 'eu-west-1'], {bin: installedBin, cwd: home, env})

    expect(run.stderr).not.toMatch(/Error/)
    expect(run.exitCode).toBe(0)
    expect(existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '').toBe('')
    expect(run.stdout).toMatch(/Would deploy stack EventPulse to eu-west-1: \d+ resources/)
    expect(run.stdout).toMatch(/AWS::Lambda::Function\s+1\n/)
    const manifest = JSON.parse(readFileSync(join(output, 'EventPulse.assets.json'), 'utf8'))
    const [asset] = Object.values(manifest.files as Record<string, {source: {path: string; packaging?: string}}>).filter((f) => f.source.packaging === 'zip')
    expect(readdirSync(join(output, asset.source.path))).toEqual(['index.mjs'])
  })
})
