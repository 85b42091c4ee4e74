import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {defaultAssemblyDir} from '#deploy/dry-run.js'
import {runCli} from '../helpers/run-cli.js'
import {offlineEnv} from './offline-env.js'
import {tempDir} from '../helpers/temp-dirs.js'

/** No credentials anywhere: no keys in the environment, an empty home (no ~/.aws), no instance metadata. */
function noCredentials(): NodeJS.ProcessEnv {
  const {env} = offlineEnv()
  return {...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: ''}
}

describe('deploy and destroy without credentials', () => {
  it('deploy checks the credentials first: exit 3, one error line with a hint, nothing synthesized', async () => {
    const env = noCredentials()
    const output = join(env.HOME!, 'assembly')
    const run = await runCli(['deploy', '--region', 'eu-west-1', '--yes', '--output', output], {env})
    expect(run.exitCode).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr.match(/^Error: /gm)).toHaveLength(1)
    expect(run.stderr).toMatch(/^Error: No usable AWS credentials: .+\nCheck --profile, AWS_PROFILE /m)
    expect(run.stderr).not.toMatch(/Synthesis time|Unable to resolve AWS account/)
    expect(existsSync(output)).toBe(false)
  })

  it('destroy --json prints exactly one failure document and exits 3, nothing synthesized', async () => {
    const env = {...noCredentials(), XDG_CACHE_HOME: tempDir('eventpulse-cache-')}
    const run = await runCli(['destroy', '--region', 'eu-west-1', '--yes', '--json'], {env})
    expect(run.exitCode).toBe(3)
    const document = JSON.parse(run.stdout)
    expect(document.status).toBe(3)
    expect(document.error.message).toMatch(/^No usable AWS credentials/)
    expect(document.error.hint).toBeTruthy()
    expect(existsSync(defaultAssemblyDir('EventPulse', env))).toBe(false)
  })

  it('destroy --help says which data is retained and how to delete it', async () => {
    const help = await runCli(['destroy', '--help'])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatch(/retained/)
    expect(help.stdout).toContain('--destroy-data')
    expect(help.stdout).toContain('EXAMPLES')
  })
})
