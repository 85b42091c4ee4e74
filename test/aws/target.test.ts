import {statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {AssumeRoleCommand, GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {PipelineFlagValues} from '#aws/target-flags.js'
import {resolveTarget} from '#target/resolve-target.js'
import {CliError} from '#core/errors.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {readStackOutputsCache, stackOutputsCacheFile, writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {stubAwsEnv} from './aws-env.js'

const cloudFormation = mockClient(CloudFormationClient)
const sts = mockClient(STSClient)

const ROLE = {
  uploader: 'arn:aws:iam::123456789012:role/EventPulse-Uploader',
  admin: 'arn:aws:iam::123456789012:role/EventPulse-QuarantineAdmin',
}
const OUTPUTS = {
  [STACK_OUTPUTS.processingBucket]: 'eventpulse-processing-abc',
  [STACK_OUTPUTS.quarantineBucket]: 'eventpulse-quarantine-abc',
  [STACK_OUTPUTS.table]: 'EventPulse-Table',
  [STACK_OUTPUTS.uploaderRoleArn]: ROLE.uploader,
  [STACK_OUTPUTS.quarantineAdminRoleArn]: ROLE.admin,
  [STACK_OUTPUTS.stuckAfterSeconds]: '600',
}
const describeStacksAnswer = {
  Stacks: [
    {
      StackName: 'EventPulse',
      StackStatus: 'CREATE_COMPLETE' as const,
      CreationTime: new Date(),
      Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
    },
  ],
}
const inAnHour = () => new Date(Date.now() + 3600_000)
const assumed = (expiration = inAnHour()) => ({
  Credentials: {AccessKeyId: 'ASIAASSUMED', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: expiration},
})

const flags = (overrides: Partial<PipelineFlagValues> = {}): PipelineFlagValues => ({
  stack: 'EventPulse',
  'assume-role': true,
  ...overrides,
})

let home: string
/** The caller STS names: an SSO user, through the role session IAM Identity Center made for her. */
const CALLER = {
  Account: '123456789012',
  Arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0f1e2d/alice@example.com',
  UserId: 'AROAEXAMPLE:alice@example.com',
}

beforeEach(() => {
  cloudFormation.reset()
  sts.reset()
  sts.on(GetCallerIdentityCommand).resolves(CALLER)
  home = tempDir('ep-target-')
  writeFileSync(
    join(home, 'config'),
    [
      '[default]',
      'region = eu-west-1',
      '',
      '[profile mfa-user]',
      'region = eu-central-1',
      'mfa_serial = arn:aws:iam::123456789012:mfa/alice',
      '',
      '[profile no-region]',
      '',
    ].join('\n'),
  )
  stubAwsEnv(home, {AWS_ACCESS_KEY_ID: 'AKIABASE', AWS_SECRET_ACCESS_KEY: 'base-secret', USER: 'alice smith'})
})
afterEach(() => vi.unstubAllEnvs())

describe('stack outputs', () => {
  it('come from DescribeStacks on a miss, are cached per profile/region/stack (owner-only), and are then read from the cache', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket', 'table']})
    expect(target.region).toBe('eu-west-1')
    expect(target.resources).toEqual({processingBucket: 'eventpulse-processing-abc', table: 'EventPulse-Table'})
    expect(target.stuckAfterSeconds).toBe(600)
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({StackName: 'EventPulse'})
    const cacheTarget = {region: 'eu-west-1', stack: 'EventPulse'}
    expect(await readStackOutputsCache(cacheTarget)).toEqual(OUTPUTS)
    expect(stackOutputsCacheFile(cacheTarget)).toBe(
      join(home, 'cache', 'eventpulse', 'stacks', 'default', 'eu-west-1', 'EventPulse.json'),
    )
    expect(statSync(stackOutputsCacheFile(cacheTarget)).mode & 0o777).toBe(0o600)

    await resolveTarget(flags(), {role: 'quarantineAdmin', needs: ['quarantineBucket']})
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1)
    // A different region is a different stack.
    await resolveTarget(flags({region: 'us-west-2'}), {role: 'uploader', needs: ['processingBucket']})
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(2)
  })

  it('never uses outputs cached for an emulator (--endpoint-url) against AWS, nor the other way round', async () => {
    const emulator = 'http://127.0.0.1:4566'
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    await resolveTarget(flags({'endpoint-url': emulator}), {role: 'uploader', needs: ['processingBucket']})
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1)
    const onEmulator = {region: 'eu-west-1', stack: 'EventPulse', endpoint: emulator}
    expect(await readStackOutputsCache(onEmulator)).toEqual(OUTPUTS)
    expect(await readStackOutputsCache({region: 'eu-west-1', stack: 'EventPulse'})).toBeUndefined()

    // Against AWS the emulator's names are not used: CloudFormation is asked, and each target keeps its own file.
    await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(2)
    expect(stackOutputsCacheFile(onEmulator)).not.toBe(
      stackOutputsCacheFile({region: 'eu-west-1', stack: 'EventPulse'}),
    )
    await resolveTarget(flags({'endpoint-url': 'http://127.0.0.1:9999'}), {
      role: 'uploader',
      needs: ['processingBucket'],
    })
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(3)
  })

  it('treats outputs cached for another account as a miss', async () => {
    const target = {region: 'eu-west-1', stack: 'EventPulse'}
    await writeStackOutputsCache({...target, account: '111122223333'}, OUTPUTS)
    expect(await readStackOutputsCache({...target, account: '111122223333'})).toEqual(OUTPUTS)
    expect(await readStackOutputsCache(target)).toEqual(OUTPUTS)
    expect(await readStackOutputsCache({...target, account: '444455556666'})).toBeUndefined()
  })

  it('keys the cache by the account STS names for every command: outputs of another account, or of none, are a miss', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const cached = {region: 'eu-west-1', stack: 'EventPulse'}
    const elsewhere = {...OUTPUTS, [STACK_OUTPUTS.processingBucket]: 'another-accounts-bucket'}
    await writeStackOutputsCache({...cached, account: '444455556666'}, elsewhere)
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    expect(target.resources.processingBucket).toBe('eventpulse-processing-abc')
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1)
    expect(await readStackOutputsCache({...cached, account: '123456789012'})).toEqual(OUTPUTS)

    await writeStackOutputsCache(cached, elsewhere)
    await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(2)
  })

  it('uses what the deploy wrote into the cache without calling CloudFormation', async () => {
    await writeStackOutputsCache(
      {profile: 'default', region: 'eu-west-1', stack: 'Other', account: CALLER.Account},
      OUTPUTS,
    )
    sts.on(AssumeRoleCommand).resolves(assumed())
    const target = await resolveTarget(flags({stack: 'Other'}), {role: 'uploader', needs: ['quarantineBucket']})
    expect(target.resources.quarantineBucket).toBe('eventpulse-quarantine-abc')
    expect(cloudFormation.calls()).toHaveLength(0)
  })

  it('a stack that does not exist is a clear error (exit 4) with what to check', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), {name: 'ValidationError'}))
    const error = await resolveTarget(flags({stack: 'Nope'}), {role: 'uploader', needs: ['processingBucket']}).catch(
      (e) => e,
    )
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({
      exitCode: 4,
      code: 'StackNotFound',
      message: 'Stack Nope not found in eu-west-1 (profile default).',
    })
    expect(error.hint).toContain('--stack')
  })

  it('flags override names, and with every name given no CloudFormation call is needed when no role is assumed', async () => {
    const target = await resolveTarget(flags({'processing-bucket': 'mine', 'assume-role': false}), {
      role: 'uploader',
      needs: ['processingBucket'],
    })
    expect(target.resources.processingBucket).toBe('mine')
    expect(cloudFormation.calls()).toHaveLength(0)
    expect(sts.calls()).toHaveLength(0)
  })
})

describe('role assumption', () => {
  it("assumes the command's role from the stack, with a session name identifying the caller, and signs with it", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const target = await resolveTarget(flags(), {role: 'quarantineAdmin', needs: ['quarantineBucket', 'table']})
    expect(target.roleArn).toBe(ROLE.admin)
    const credentials = await target.s3.config.credentials()
    expect(credentials).toMatchObject({accessKeyId: 'ASIAASSUMED', sessionToken: 'token'})
    // Shared by the clients: one AssumeRole call.
    await target.dynamodb!.config.credentials()
    const calls = sts.commandCalls(AssumeRoleCommand)
    expect(calls).toHaveLength(1)
    const input = calls[0].args[0].input
    expect(input.RoleArn).toBe(ROLE.admin)
    // The person STS says is calling, not the local user name: in the access log (session name) and CloudTrail.
    expect(input.RoleSessionName).toBe('eventpulse-alice@example.com')
    expect(input.SourceIdentity).toBe('alice@example.com')
    expect(input.SerialNumber).toBeUndefined()
  })

  it('names an IAM user by their user name, cut to what STS allows', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    sts
      .on(GetCallerIdentityCommand)
      .resolves({Account: '123456789012', Arn: `arn:aws:iam::123456789012:user/ops/${'b'.repeat(80)}`})
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    await target.s3.config.credentials()
    const input = sts.commandCalls(AssumeRoleCommand)[0].args[0].input
    expect(input.SourceIdentity).toBe('b'.repeat(64))
    expect(input.RoleSessionName).toBe(`eventpulse-${'b'.repeat(53)}`)
  })

  it("--role-arn overrides the stack's role; --no-assume-role uses the base credentials as they are", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const custom = 'arn:aws:iam::123456789012:role/Custom'
    const overridden = await resolveTarget(flags({'role-arn': custom}), {role: 'uploader', needs: ['processingBucket']})
    await overridden.s3.config.credentials()
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input.RoleArn).toBe(custom)

    sts.reset().on(GetCallerIdentityCommand).resolves(CALLER)
    const plain = await resolveTarget(flags({'assume-role': false}), {role: 'uploader', needs: ['processingBucket']})
    expect(plain.roleArn).toBeUndefined()
    expect(await plain.s3.config.credentials()).toMatchObject({accessKeyId: 'AKIABASE'})
    // Only whose account the cached outputs must be of.
    expect(sts.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetCallerIdentityCommand'])
  })

  it('with --mfa-serial, asks for the code and passes it to STS', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const readMfaCode = vi.fn(async () => '123456')
    const serial = 'arn:aws:iam::123456789012:mfa/bob'
    const target = await resolveTarget(flags({'mfa-serial': serial}), {
      role: 'uploader',
      needs: ['processingBucket'],
      readMfaCode,
    })
    await target.s3.config.credentials()
    expect(readMfaCode).toHaveBeenCalledWith(serial)
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toMatchObject({
      SerialNumber: serial,
      TokenCode: '123456',
    })
  })

  it('with --external-id, passes it to STS when assuming the role (and sends none without it)', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts.on(AssumeRoleCommand).resolves(assumed())
    const withId = await resolveTarget(flags({'external-id': 'acme-7f3a'}), {role: 'quarantineAdmin', needs: []})
    await withId.s3.config.credentials()
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toMatchObject({
      RoleArn: ROLE.admin,
      ExternalId: 'acme-7f3a',
    })
    const without = await resolveTarget(flags(), {role: 'quarantineAdmin', needs: []})
    await without.s3.config.credentials()
    expect(sts.commandCalls(AssumeRoleCommand)[1].args[0].input.ExternalId).toBeUndefined()
  })

  it("uses the profile's mfa_serial and region (profile from AWS_PROFILE)", async () => {
    vi.stubEnv('AWS_PROFILE', 'mfa-user')
    await writeStackOutputsCache(
      {profile: 'mfa-user', region: 'eu-central-1', stack: 'EventPulse', account: CALLER.Account},
      OUTPUTS,
    )
    sts.on(AssumeRoleCommand).resolves(assumed())
    const readMfaCode = vi.fn(async () => '654321')
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['table'], readMfaCode})
    expect(target.region).toBe('eu-central-1')
    await target.s3.config.credentials()
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toMatchObject({
      SerialNumber: 'arn:aws:iam::123456789012:mfa/alice',
      TokenCode: '654321',
    })
  })

  it('renews credentials shortly before they expire', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(assumed(new Date(Date.now() + 60_000)))
      .resolves(assumed())
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    const credentials = target.s3.config.credentials
    await credentials()
    await credentials()
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2)
    await credentials()
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2)
  })

  it('a role the caller may not assume is a credentials error (exit 3) saying what to do', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer)
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), {name: 'AccessDenied'}))
    const target = await resolveTarget(flags(), {role: 'uploader', needs: ['processingBucket']})
    const error = await target.s3.config.credentials().catch((e: unknown) => e)
    expect(error).toMatchObject({exitCode: 3, code: 'RoleNotAssumable'})
    expect((error as CliError).hint).toContain('--no-assume-role')
  })
})

describe('where requests go', () => {
  it('--endpoint-url (or AWS_ENDPOINT_URL) sends S3 there with path-style addressing, assumes no stack role, defaults the region', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:8000')
    const target = await resolveTarget(
      flags({profile: 'no-region', 'endpoint-url': 'http://127.0.0.1:4568', 'processing-bucket': 'b', table: 't'}),
      {
        role: 'uploader',
        needs: ['processingBucket', 'table'],
      },
    )
    expect(target.region).toBe('us-east-1')
    expect(target.s3.config.forcePathStyle).toBe(true)
    expect((await target.s3.config.endpoint!()).hostname).toBe('127.0.0.1')
    expect((await target.dynamodb!.config.endpoint!()).port).toBe(8000)
    expect(cloudFormation.calls()).toHaveLength(0)
    expect(sts.calls()).toHaveLength(0)
  })

  it('no region anywhere is a usage error (exit 2)', async () => {
    const error = await resolveTarget(flags({profile: 'no-region'}), {
      role: 'uploader',
      needs: ['processingBucket'],
    }).catch((e) => e)
    expect(error).toMatchObject({exitCode: 2, message: 'No AWS region given.'})
  })

  it('--local without a running local pipeline says how to start it (exit 4: the target is unreachable)', async () => {
    vi.stubEnv('XDG_DATA_HOME', join(home, 'data'))
    const error = await resolveTarget(flags({local: true}), {role: 'uploader', needs: ['processingBucket']}).catch(
      (e) => e,
    )
    expect(error).toMatchObject({exitCode: 4, code: 'LocalPipelineNotRunning'})
    expect(cloudFormation.calls()).toHaveLength(0)
    expect(sts.calls()).toHaveLength(0)
  })
})
