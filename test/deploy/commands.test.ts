import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'
import {offlineEnv} from './offline-env.js'

/** No credentials anywhere: no keys in the environment, an empty home (no ~/.aws), no instance metadata. */
function noCredentials(): NodeJS.ProcessEnv {
  const {env} = offlineEnv()
  return {...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: ''}
}

describe('deploy and destroy without credentials', () => {
  it('deploy ends with exit 3 and a hint, having deployed nothing', async () => {
    const run = await runCli(['deploy', '--region', 'eu-west-1', '--yes'], {env: noCredentials()})
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toMatch(/AWS credentials/)
    expect(run.stdout).not.toContain('Deployed stack')
  })

  it('destroy --json prints exactly one failure document and exits 3', async () => {
    const run = await runCli(['destroy', '--region', 'eu-west-1', '--yes', '--json'], {env: noCredentials()})
    expect(run.exitCode).toBe(3)
    const document = JSON.parse(run.stdout)
    expect(document.status).toBe(3)
    expect(document.error.hint).toBeTruthy()
  })

  it('destroy --help says which data is retained and how to delete it', async () => {
    const help = await runCli(['destroy', '--help'])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toMatch(/retained/)
    expect(help.stdout).toContain('--destroy-data')
    expect(help.stdout).toContain('EXAMPLES')
  })
})
