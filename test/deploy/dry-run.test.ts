import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {cliEnv, runCli} from '../helpers/run-cli.js'
import {FIRST_SYNTH_TIMEOUT_MS} from '../infra/synth.js'
import {offlineEnv} from './offline-env.js'

// Each dry run is a first CDK synth in a fresh process.
describe('deploy --dry-run', {timeout: FIRST_SYNTH_TIMEOUT_MS}, () => {
  it('runs under a recorder that does notice connections (so an empty record means none was made)', () => {
    const {env, networkLog} = offlineEnv()
    execFileSync(process.execPath, ['-e', "require('node:http').get('http://127.0.0.1:9').on('error', () => {})"], {
      env: cliEnv(env),
    })
    expect(readFileSync(networkLog, 'utf8')).toMatch(/^connect /)
  })

  it('synthesizes the template into --output and summarises it, with no network access at all', async () => {
    const {env, networkLog, home} = offlineEnv()
    const output = join(home, 'assembly')
    const run = await runCli(
      ['deploy', '--dry-run', '--output', output, '--region', 'eu-west-1', '--stack', 'PulseTest'],
      {env},
    )
    expect(run.stderr).not.toMatch(/Error/)
    expect(run.exitCode).toBe(0)
    expect(existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '').toBe('')
    const template = JSON.parse(readFileSync(join(output, 'PulseTest.template.json'), 'utf8'))
    expect(Object.keys(template.Outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort())
    expect(run.stdout).toContain('Would deploy stack PulseTest to eu-west-1')
    expect(run.stdout).toMatch(/AWS::S3::Bucket\s+3\n/)
    // The processor's, the uploader's, the quarantine admin's and selftest's.
    expect(run.stdout).toMatch(/AWS::IAM::Role\s+4\n/)
    expect(run.stdout).toContain('retained')
    expect(run.stdout).toContain(join(output, 'PulseTest.template.json'))
  })

  it('with no region, --json gives the region as null and says why', async () => {
    const {env} = offlineEnv()
    const run = await runCli(['deploy', '--dry-run', '--json'], {env: {...env, AWS_REGION: ''}})
    expect(run.exitCode).toBe(0)
    const {result} = JSON.parse(run.stdout)
    expect(result.region).toBeNull()
    expect(result.regionNote).toContain('the deploy would use the region of your credentials')
  })

  it('takes settings from a configuration file, flags first, and prints one JSON document with --json', async () => {
    const {env, home} = offlineEnv()
    const configFile = join(home, 'eventpulse.config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        stackName: 'FromFile',
        region: 'eu-west-1',
        email: 'ops@example.com',
        replicaRegions: ['us-east-1'],
        stuckAfter: '2h',
        destroyDataOnDelete: true,
      }),
    )
    const run = await runCli(['deploy', '--dry-run', '--config', configFile, '--stuck-after', '45m', '--json'], {env})
    expect(run.exitCode).toBe(0)
    const document = JSON.parse(run.stdout)
    expect(document.status).toBe(0)
    expect(document.result).toMatchObject({stack: 'FromFile', region: 'eu-west-1', dataRetention: 'destroy'})
    // The e-mail's and the selftest queue's.
    expect(document.result.resources).toContainEqual({type: 'AWS::SNS::Subscription', count: 2})
    const template = JSON.parse(readFileSync(document.result.templateFile, 'utf8'))
    expect(template.Outputs[STACK_OUTPUTS.stuckAfterSeconds].Value).toBe(String(45 * 60))
    const table = Object.values(
      template.Resources as Record<string, {Type: string; Properties: {Replicas: {Region: string}[]}}>,
    ).find((r) => r.Type === 'AWS::DynamoDB::GlobalTable')!
    expect(table.Properties.Replicas.map((r) => r.Region).sort()).toEqual(['eu-west-1', 'us-east-1'])
  })

  it('rejects bad settings as usage errors (exit 2), before synthesizing anything', async () => {
    const {env} = offlineEnv()
    const badPrincipal = await runCli(['deploy', '--dry-run', '--trusted-principal', 'everyone', '--json'], {env})
    expect(badPrincipal.exitCode).toBe(2)
    expect(JSON.parse(badPrincipal.stdout).error.message).toContain('Invalid trusted principal "everyone"')
    const filterWithoutEmail = await runCli(['deploy', '--dry-run', '--notify-quarantined-only'], {env})
    expect(filterWithoutEmail.exitCode).toBe(2)
    expect(filterWithoutEmail.stderr).toContain('no e-mail address')
    const replicasWithoutRegion = await runCli(['deploy', '--dry-run', '--replica-region', 'us-east-1'], {
      env: {...env, AWS_REGION: '', AWS_DEFAULT_REGION: ''},
    })
    expect(replicasWithoutRegion.exitCode).toBe(2)
    expect(replicasWithoutRegion.stderr).toContain('--region')
  })

  it('documents every setting in --help, with examples', async () => {
    const help = await runCli(['deploy', '--help'])
    expect(help.exitCode).toBe(0)
    for (const flag of [
      '--config',
      '--stack',
      '--region',
      '--profile',
      '--email',
      '--notify-quarantined-only',
      '--trusted-principal',
      '--destroy-data-on-delete',
      '--replica-region',
      '--stuck-after',
      '--dry-run',
      '--output',
      '--yes',
    ])
      expect(help.stdout).toContain(flag)
    expect(help.stdout).toContain('EXAMPLES')
  })
})
