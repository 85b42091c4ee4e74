import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import Deploy from '../../src/commands/deploy.js'
import Destroy from '../../src/commands/destroy.js'
import {defaultStackConfig} from '../../infra/stack-config.js'
import {commonFlags} from '#cli/common-flags.js'
import {configFlags, stackTargetFlags} from '#cli/deploy-flags.js'
import {DEPLOY_SETTINGS, deploySettings, SETTING_KINDS} from '#contract/deploy-settings.js'
import {readConfigFile} from '#deploy/config.js'
import {tempDir} from '../helpers/temp-dirs.js'

/** A valid value of each kind, as the configuration file would hold it. */
const SAMPLE: Record<string, unknown> = {
  stackName: 'Catalog',
  region: 'eu-west-1',
  profile: 'prod',
  email: 'ops@example.com',
  notifyQuarantinedOnly: true,
  trustedPrincipals: ['111122223333'],
  externalId: 'acme-7f3a',
  requireMfa: true,
  mfaMaxAge: '30m',
  accessLogRetention: '90d',
  processorConcurrency: 20,
  tracing: true,
  destroyDataOnDelete: true,
  replicaRegions: ['us-east-1'],
  stuckAfter: '2h',
  sweepEvery: '10m',
  historyRetention: '90d',
  uploaderMayReplace: true,
  processingBucketName: 'catalog-processing',
  quarantineBucketName: 'catalog-quarantine',
}

describe('the deploy settings table', () => {
  it('gives every setting a configuration-file key and declares its flag (only bucket names are file-only)', () => {
    const deployFlags = Deploy.flags as Record<string, {description?: string}>
    const destroyFlags = Destroy.flags as Record<string, {description?: string}>
    for (const setting of deploySettings()) {
      expect(setting.key).toMatch(/^[a-z][A-Za-z]+$/)
      expect(setting.description.length).toBeGreaterThan(0)
      expect(Object.hasOwn(SETTING_KINDS, setting.kind)).toBe(true)
      expect(setting).toHaveProperty('flag')
      if (!setting.flag) continue
      expect(deployFlags[setting.flag.name]?.description, setting.flag.name).toBe(setting.description)
      expect(Object.hasOwn(destroyFlags, setting.flag.name), setting.flag.name).toBe(setting.flag.target === true)
    }
    // A file-only setting is a choice: name it here when adding one.
    expect(deploySettings().flatMap((s) => (s.flag ? [] : [s.key]))).toEqual([
      'processingBucketName',
      'quarantineBucketName',
    ])
  })

  it("names every configuration-file key in the --config flag's help", () => {
    const description = stackTargetFlags.config.description ?? ''
    for (const key of Object.keys(DEPLOY_SETTINGS)) expect(description).toContain(key)
    expect(description).toContain(Object.keys(DEPLOY_SETTINGS).join(', '))
  })

  it('reads every key from the file, and passes every flag given on the command line under its setting', async () => {
    expect(Object.keys(SAMPLE).sort()).toEqual(Object.keys(DEPLOY_SETTINGS).sort())
    const path = join(tempDir('eventpulse-settings-'), 'eventpulse.config.json')
    writeFileSync(path, JSON.stringify(SAMPLE))
    expect(await readConfigFile(path)).toEqual(SAMPLE)

    const flagged = deploySettings().filter((s) => s.flag)
    const parsed = Object.fromEntries(flagged.map((s) => [s.flag!.name, SAMPLE[s.key]]))
    const passed = configFlags(parsed, new Set(flagged.map((s) => s.flag!.name))) as Record<string, unknown>
    for (const s of flagged) expect(passed[s.flag!.passedAs ?? s.key], s.key).toEqual(SAMPLE[s.key])
    expect(Object.values(configFlags(parsed, new Set()))).toEqual(flagged.map(() => undefined))
  })

  it('means by --stack, --region and --profile what every other command means', () => {
    expect(stackTargetFlags.stack.description).toBe(commonFlags.stack.description)
    expect(stackTargetFlags.stack.default).toBe(commonFlags.stack.default)
    expect(stackTargetFlags.region.description).toBe(commonFlags.region.description)
    expect(stackTargetFlags.profile.description).toBe(commonFlags.profile.description)
  })

  it("gives the stack's configuration the table's defaults", () => {
    expect(defaultStackConfig()).toEqual({
      stackName: DEPLOY_SETTINGS.stackName.default,
      notifyQuarantinedOnly: false,
      trustedPrincipals: [],
      requireMfa: true,
      mfaMaxAgeSeconds: 3600,
      accessLogRetentionSeconds: 365 * 24 * 3600,
      processorConcurrency: 10,
      tracing: false,
      destroyDataOnDelete: false,
      replicaRegions: [],
      stuckAfterSeconds: DEPLOY_SETTINGS.stuckAfter.default,
      sweepEverySeconds: DEPLOY_SETTINGS.sweepEvery.default,
      historyRetentionSeconds: 365 * 24 * 3600,
      uploaderMayReplace: false,
    })
    // Lists are the stack's own, not the table's.
    defaultStackConfig().trustedPrincipals.push('111122223333')
    expect(defaultStackConfig().trustedPrincipals).toEqual([])
  })
})
