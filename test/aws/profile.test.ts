import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {
  configuredRegion,
  endpointFor,
  loadProfile,
  noRegionError,
  resolveMfaSerial,
  resolveRegion,
} from '#aws/profile.js'
import {writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {CliError} from '#core/errors.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {stubAwsEnv} from './aws-env.js'

// loadProfile keeps each profile's settings for the life of the process: every test reads profiles of its own names,
// from files of its own (the SDK's file loader keeps each path's contents too).

const HINT_START = 'For AWS: pass --region, set AWS_REGION, or set a region in the profile (aws configure). '
const HINT_END = 'For the local pipeline: pass --local.'

let home: string
beforeEach(() => {
  home = tempDir('ep-profile-')
  stubAwsEnv(home)
})
afterEach(() => vi.unstubAllEnvs())

const config = (...lines: string[]) => writeFileSync(join(home, 'config'), lines.join('\n') + '\n')
const credentials = (...lines: string[]) => writeFileSync(join(home, 'credentials'), lines.join('\n') + '\n')
const flags = (overrides: Partial<PipelineFlagValues> = {}): PipelineFlagValues => ({
  stack: 'EventPulse',
  'assume-role': true,
  ...overrides,
})

describe('loadProfile', () => {
  it("merges a profile's settings from the credentials and config files, the config file's winning", async () => {
    credentials('[merged]', 'aws_access_key_id = AKIAMERGED', 'region = us-west-1', 'mfa_serial = arn:aws:iam::1:mfa/c')
    config('[profile merged]', 'region = eu-north-1')
    expect(await loadProfile('merged')).toEqual({
      aws_access_key_id: 'AKIAMERGED',
      region: 'eu-north-1',
      mfa_serial: 'arn:aws:iam::1:mfa/c',
    })
  })

  it('reads a profile once per process: a later change of the files is not seen', async () => {
    config('[profile read-once]', 'region = eu-west-3')
    expect((await loadProfile('read-once')).region).toBe('eu-west-3')
    // Another config file altogether (the SDK's loader keeps a file's contents by its path: a new path is read anew).
    writeFileSync(join(home, 'other-config'), '[profile read-once]\nregion = ap-east-1\n')
    vi.stubEnv('AWS_CONFIG_FILE', join(home, 'other-config'))
    expect((await loadProfile('read-once')).region).toBe('eu-west-3')
  })

  it('a profile in neither file has no settings', async () => {
    config('[profile other]', 'region = eu-west-3')
    expect(await loadProfile('absent')).toEqual({})
  })
})

describe('configuredRegion', () => {
  it('AWS_REGION first, then AWS_DEFAULT_REGION, then the profile', async () => {
    config('[profile regional]', 'region = eu-south-1')
    expect(await configuredRegion('regional')).toBe('eu-south-1')
    vi.stubEnv('AWS_DEFAULT_REGION', 'ap-southeast-2')
    expect(await configuredRegion('regional')).toBe('ap-southeast-2')
    vi.stubEnv('AWS_REGION', 'sa-east-1')
    expect(await configuredRegion('regional')).toBe('sa-east-1')
  })

  it('a region only in the credentials file counts', async () => {
    credentials('[keys-only]', 'aws_access_key_id = AKIAX', 'region = me-south-1')
    expect(await configuredRegion('keys-only')).toBe('me-south-1')
  })

  it('none anywhere is undefined', async () => {
    config('[profile no-region-1]', 'output = json')
    expect(await configuredRegion('no-region-1')).toBeUndefined()
  })
})

describe('resolveRegion', () => {
  it('--region first, over the environment and the profile', async () => {
    config('[profile flagged]', 'region = eu-south-1')
    vi.stubEnv('AWS_REGION', 'sa-east-1')
    expect(await resolveRegion(flags({region: 'ca-central-1'}), 'flagged', undefined)).toBe('ca-central-1')
    expect(await resolveRegion(flags(), 'flagged', undefined)).toBe('sa-east-1')
  })

  it('with an endpoint and no region anywhere, us-east-1 (requests must be signed for one)', async () => {
    config('[profile emulated]')
    expect(await resolveRegion(flags(), 'emulated', 'http://127.0.0.1:4566')).toBe('us-east-1')
    vi.stubEnv('AWS_DEFAULT_REGION', 'eu-west-2')
    expect(await resolveRegion(flags(), 'emulated', 'http://127.0.0.1:4566')).toBe('eu-west-2')
  })

  it('no region anywhere is NoRegion, exit 2, with both ways out', async () => {
    config('[profile lost]')
    const error = await resolveRegion(flags(), 'lost', undefined).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({
      message: 'No AWS region given.',
      exitCode: 2,
      code: 'NoRegion',
      hint:
        HINT_START +
        'A region given only to `deploy --region` is not remembered: give it to every command. ' +
        HINT_END,
    })
  })

  it("no region, but the stack's outputs cached for this profile: says where it was deployed", async () => {
    config('[profile deployer]')
    const env = {XDG_CACHE_HOME: join(home, 'cache')}
    for (const region of ['us-east-2', 'eu-west-1'])
      await writeStackOutputsCache({profile: 'deployer', region, stack: 'Pipeline'}, {}, env)
    await writeStackOutputsCache({profile: 'deployer', region: 'ap-south-1', stack: 'Other'}, {}, env)
    const error = await resolveRegion(flags({stack: 'Pipeline'}), 'deployer', undefined).catch((e: unknown) => e)
    expect(error).toMatchObject({
      exitCode: 2,
      code: 'NoRegion',
      hint:
        HINT_START +
        'With this profile the stack was last deployed or reached in eu-west-1, us-east-2; a region given to ' +
        '`deploy --region` is not remembered, so pass --region eu-west-1 here too. ' +
        HINT_END,
    })
  })
})

describe('noRegionError', () => {
  it('without regions, says to give the region to every command', () => {
    const error = noRegionError()
    expect(error.hint).toBe(
      HINT_START + 'A region given only to `deploy --region` is not remembered: give it to every command. ' + HINT_END,
    )
    expect(noRegionError([]).hint).toBe(error.hint)
  })

  it('with one region, names it', () => {
    expect(noRegionError(['eu-central-1']).hint).toBe(
      HINT_START +
        'With this profile the stack was last deployed or reached in eu-central-1; a region given to ' +
        '`deploy --region` is not remembered, so pass --region eu-central-1 here too. ' +
        HINT_END,
    )
  })
})

describe('resolveMfaSerial', () => {
  it('--mfa-serial first', async () => {
    config('[profile mfa-flag]', 'mfa_serial = arn:aws:iam::1:mfa/profile')
    expect(await resolveMfaSerial(flags({'mfa-serial': 'arn:aws:iam::1:mfa/flag'}), 'mfa-flag')).toBe(
      'arn:aws:iam::1:mfa/flag',
    )
  })

  it("the profile's mfa_serial for a profile of long-term keys", async () => {
    config('[profile mfa-keys]', 'mfa_serial = arn:aws:iam::1:mfa/alice')
    expect(await resolveMfaSerial(flags(), 'mfa-keys')).toBe('arn:aws:iam::1:mfa/alice')
  })

  it('none for a role profile (the SDK used its mfa_serial already), nor for a profile that names none', async () => {
    config(
      '[profile mfa-role]',
      'role_arn = arn:aws:iam::1:role/R',
      'source_profile = base',
      'mfa_serial = arn:aws:iam::1:mfa/alice',
      '[profile no-mfa]',
      'region = eu-west-1',
    )
    expect(await resolveMfaSerial(flags(), 'mfa-role')).toBeUndefined()
    expect(await resolveMfaSerial(flags(), 'no-mfa')).toBeUndefined()
  })
})

describe('endpointFor', () => {
  it("the service's own variable first, then --endpoint-url, then AWS_ENDPOINT_URL, else none", () => {
    expect(endpointFor('S3', {})).toBeUndefined()
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://all.example:1')
    expect(endpointFor('S3', {})).toBe('http://all.example:1')
    expect(endpointFor('S3', {'endpoint-url': 'http://flag.example:2'})).toBe('http://flag.example:2')
    vi.stubEnv('AWS_ENDPOINT_URL_S3', 'http://s3.example:3')
    expect(endpointFor('S3', {'endpoint-url': 'http://flag.example:2'})).toBe('http://s3.example:3')
    // Another service's variable is not this one's.
    expect(endpointFor('DYNAMODB', {'endpoint-url': 'http://flag.example:2'})).toBe('http://flag.example:2')
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://dynamodb.example:4')
    expect(endpointFor('DYNAMODB', {})).toBe('http://dynamodb.example:4')
  })

  it('empty values count as none', () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', '')
    expect(endpointFor('SQS', {'endpoint-url': ''})).toBeUndefined()
  })
})
