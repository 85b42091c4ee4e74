import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {readConfigFile, resolveDeployConfig} from '#deploy/config.js'
import {givenFlags} from '#cli/deploy-flags.js'
import {CliError} from '#core/errors.js'
import {DEFAULT_STACK_NAME} from '#contract/pipeline-contract.js'
import {tempDir} from '../helpers/temp-dirs.js'

function file(contents: string): string {
  const path = join(tempDir('eventpulse-config-'), 'eventpulse.config.json')
  writeFileSync(path, contents)
  return path
}

function usageFailure(action: () => unknown): CliError {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(2)
    return error as CliError
  }
  throw new Error('expected a usage error')
}

describe('deploy configuration', () => {
  it('defaults to a retaining stack named EventPulse, trusted by its own account', () => {
    const config = resolveDeployConfig({})
    expect(config).toMatchObject({
      stackName: DEFAULT_STACK_NAME,
      destroyDataOnDelete: false,
      trustedPrincipals: [],
      replicaRegions: [],
      notifyQuarantinedOnly: false,
    })
    expect(config.email).toBeUndefined()
  })

  it('reads a JSON file with comments, and lets flags given on the command line win', async () => {
    const fromFile = await readConfigFile(
      file(`{
        // what a terraform.tfvars would hold
        "stackName": "Catalog", "region": "eu-west-1", "email": "ops@example.com",
        "trustedPrincipals": ["111122223333"], "replicaRegions": ["us-east-1"],
        "stuckAfter": "2h", "destroyDataOnDelete": true,
      }`),
    )
    const config = resolveDeployConfig(
      {region: 'eu-central-1', stuckAfter: '30m', destroyDataOnDelete: false},
      fromFile,
    )
    expect(config).toMatchObject({
      stackName: 'Catalog',
      region: 'eu-central-1',
      email: 'ops@example.com',
      trustedPrincipals: ['111122223333'],
      replicaRegions: ['us-east-1'],
      stuckAfterSeconds: 1800,
      destroyDataOnDelete: false,
    })
    expect(resolveDeployConfig({}, {stuckAfter: 5400}).stuckAfterSeconds).toBe(5400)
  })

  it('tells flags given on the command line from defaults', () => {
    expect(givenFlags([{type: 'flag', flag: 'region'}, {type: 'arg'}, {type: 'flag', flag: 'yes'}])).toEqual(
      new Set(['region', 'yes']),
    )
  })

  it('rejects unknown settings, wrong types and malformed JSON in the file', async () => {
    await expect(readConfigFile(file('{"stack": "x"}'))).rejects.toThrow(/unknown setting "stack"/)
    await expect(readConfigFile(file('{"replicaRegions": "us-east-1"}'))).rejects.toThrow(/a list of strings/)
    await expect(readConfigFile(file('{"region": '))).rejects.toThrow(/not valid JSON/)
    await expect(readConfigFile('/nonexistent/eventpulse.config.json')).rejects.toThrow(/Cannot read/)
  })

  it('rejects bad values before anything is synthesized', () => {
    expect(usageFailure(() => resolveDeployConfig({trustedPrincipals: ['*']})).message).toContain(
      'Invalid trusted principal',
    )
    expect(usageFailure(() => resolveDeployConfig({region: 'Ireland'})).message).toContain('Invalid region')
    expect(
      usageFailure(() => resolveDeployConfig({region: 'eu-west-1', replicaRegions: ['eu-west-1']})).message,
    ).toContain("stack's own region")
    expect(usageFailure(() => resolveDeployConfig({email: 'not-an-address'})).message).toContain('Invalid e-mail')
    expect(usageFailure(() => resolveDeployConfig({notifyQuarantinedOnly: true})).message).toContain(
      'no e-mail address',
    )
    expect(usageFailure(() => resolveDeployConfig({stack: '1-bad_name'})).message).toContain('Invalid stack name')
    usageFailure(() => resolveDeployConfig({stuckAfter: 'soon'}))
    usageFailure(() => resolveDeployConfig({stuckAfter: '0m'}))
    // EventBridge schedules run every whole number of minutes.
    expect(usageFailure(() => resolveDeployConfig({sweepEvery: '90s'})).message).toContain('Invalid sweep interval')
    usageFailure(() => resolveDeployConfig({sweepEvery: '30s'}))
    expect(resolveDeployConfig({sweepEvery: '1h'}).sweepEverySeconds).toBe(3600)
  })

  it('accepts account ids and IAM user, role and root ARNs as trusted principals', () => {
    const principals = [
      '111122223333',
      'arn:aws:iam::111122223333:root',
      'arn:aws:iam::111122223333:role/ci/deployer',
      'arn:aws:iam::111122223333:user/ana',
    ]
    expect(resolveDeployConfig({trustedPrincipals: principals}).trustedPrincipals).toEqual(principals)
  })

  it('rejects group ARNs and wildcards as trusted principals, which IAM would refuse only while deploying', () => {
    const group = usageFailure(() => resolveDeployConfig({trustedPrincipals: ['arn:aws:iam::111122223333:group/ops']}))
    expect(group.message).toContain('IAM cannot trust a group')
    for (const wildcard of ['arn:aws:iam::111122223333:role/*', 'arn:aws:iam::111122223333:user/ci-*'])
      expect(usageFailure(() => resolveDeployConfig({trustedPrincipals: [wildcard]})).message).toContain('wildcard')
  })

  it('requires MFA for the quarantine admin by default, within an hour; opting out, and the other limits, are settings', () => {
    expect(resolveDeployConfig({})).toMatchObject({
      requireMfa: true,
      mfaMaxAgeSeconds: 3600,
      accessLogRetentionSeconds: 365 * 24 * 3600,
      processorConcurrency: 10,
      tracing: false,
    })
    expect(
      resolveDeployConfig({
        requireMfa: false,
        mfaMaxAge: '15m',
        accessLogRetention: '30d',
        processorConcurrency: 50,
        tracing: true,
      }),
    ).toMatchObject({
      requireMfa: false,
      mfaMaxAgeSeconds: 900,
      accessLogRetentionSeconds: 30 * 24 * 3600,
      processorConcurrency: 50,
      tracing: true,
    })
    expect(usageFailure(() => resolveDeployConfig({mfaMaxAge: '2d'})).message).toContain('Invalid MFA age')
    expect(usageFailure(() => resolveDeployConfig({accessLogRetention: '36h'})).message).toContain(
      'Invalid access-log retention',
    )
    expect(usageFailure(() => resolveDeployConfig({processorConcurrency: 0})).message).toContain(
      'Invalid processor concurrency',
    )
  })
})
