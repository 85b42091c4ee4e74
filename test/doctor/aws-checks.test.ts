import {HeadBucketCommand, S3Client} from '@aws-sdk/client-s3'
import {AssumeRoleCommand, GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {awsChecks} from '#doctor/aws-checks.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'

// The mocks replace every client of their kind in this process: no local pipeline may run beside them.

describe('doctor against a deployed stack (at the SDK boundary)', () => {
  const stack = mockDeployedStack()
  const {sts} = stack
  const s3 = mockClient(S3Client)
  const outputs = {
    [STACK_OUTPUTS.processingBucket]: 'p',
    [STACK_OUTPUTS.quarantineBucket]: 'q',
    [STACK_OUTPUTS.uploaderRoleArn]: 'arn:aws:iam::123456789012:role/up',
    [STACK_OUTPUTS.quarantineAdminRoleArn]: 'arn:aws:iam::123456789012:role/admin',
    [STACK_OUTPUTS.schemaHash]: 'ffffffffffffffff',
    [STACK_OUTPUTS.dashboardUrl]:
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=EventPulse-Dash',
  }
  const credentials = {
    AccessKeyId: 'A',
    SecretAccessKey: 'S',
    SessionToken: 'T',
    Expiration: new Date(Date.now() + 3e6),
  }

  beforeEach(() => {
    stack.answerWith(outputs)
    s3.reset()
    sts.on(GetCallerIdentityCommand).resolves({Arn: 'arn:aws:iam::123456789012:user/alice', Account: '123456789012'})
    s3.on(HeadBucketCommand).resolves({})
  })

  const run = () => awsChecks({stack: 'EventPulse', 'assume-role': true})
  const statusOf = (checks: {check: string; status: string}[]) =>
    Object.fromEntries(checks.map((check) => [check.check, check.status]))

  it('checks identity, stack, both roles and their buckets; warns on missing outputs and another schema; shows the dashboard', async () => {
    sts.on(AssumeRoleCommand).resolves({Credentials: credentials})
    const checks = await run()
    expect(statusOf(checks)).toMatchObject({
      credentials: 'pass',
      stack: 'warn',
      'uploader role': 'pass',
      processingBucket: 'pass',
      'quarantineAdmin role': 'pass',
      quarantineBucket: 'pass',
      schema: 'warn',
      dashboard: 'pass',
    })
    expect(checks.at(-1)).toEqual({
      check: 'dashboard',
      status: 'pass',
      detail: outputs[STACK_OUTPUTS.dashboardUrl],
    })
    expect(checks.find((c) => c.check === 'stack')?.detail).toContain(STACK_OUTPUTS.table)
    expect(checks.find((c) => c.check === 'schema')?.detail).toContain('ffffffffffffffff')
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([
      outputs[STACK_OUTPUTS.uploaderRoleArn],
      outputs[STACK_OUTPUTS.quarantineAdminRoleArn],
    ])
  })

  it('says where the access record is, and warns when the quarantine admin needs no MFA (and only then)', async () => {
    sts.on(AssumeRoleCommand).resolves({Credentials: credentials})
    const location = 's3://eventpulse-accesslogbucket-1a2b/quarantine-access/'
    stack.answerWith({
      ...outputs,
      [STACK_OUTPUTS.adminMfaRequired]: 'false',
      [STACK_OUTPUTS.accessLogLocation]: location,
    })
    sts.on(GetCallerIdentityCommand).resolves({Arn: 'arn:aws:iam::123456789012:user/alice', Account: '123456789012'})
    const optedOut = await run()
    expect(optedOut.find((c) => c.check === 'admin MFA')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('--no-require-mfa'),
    })
    expect(optedOut.find((c) => c.check === 'access record')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining(location),
    })

    stack.answerWith({...outputs, [STACK_OUTPUTS.adminMfaRequired]: 'true'})
    sts.on(GetCallerIdentityCommand).resolves({Arn: 'arn:aws:iam::123456789012:user/alice', Account: '123456789012'})
    const required = await run()
    expect(required.find((c) => c.check === 'admin MFA')?.status).toBe('pass')
  })

  it('fails a role that cannot be assumed, with the hint, and skips its buckets', async () => {
    sts
      .on(AssumeRoleCommand, {RoleArn: outputs[STACK_OUTPUTS.quarantineAdminRoleArn]})
      .rejects(Object.assign(new Error('not allowed'), {name: 'AccessDenied'}))
      .on(AssumeRoleCommand, {RoleArn: outputs[STACK_OUTPUTS.uploaderRoleArn]})
      .resolves({Credentials: credentials})
    const checks = await run()
    const admin = checks.find((c) => c.check === 'quarantineAdmin role')
    expect(admin).toMatchObject({status: 'fail'})
    expect(admin?.fix).toMatch(/trusted by the role/)
    expect(statusOf(checks).quarantineBucket).toBeUndefined()
  })

  it('stops after the credentials check when there are none that work', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('bad keys'), {name: 'InvalidClientTokenId'}))
    const checks = await run()
    expect(checks.map((c) => c.check)).toEqual(['node', 'local pipeline', 'credentials'])
    expect(checks.at(-1)).toMatchObject({status: 'fail', detail: 'bad keys'})
  })
})
