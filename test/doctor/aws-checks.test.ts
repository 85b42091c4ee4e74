import {HeadBucketCommand, S3Client} from '@aws-sdk/client-s3'
import {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import {AssumeRoleCommand, GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it, vi} from 'vitest'

import type {ClientBasics} from '#aws/clients.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {awsChecks} from '#doctor/aws-checks.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'

// The mocks replace every client of their kind in this process: no local pipeline may run beside them.

/** Every output this version's stack publishes, as the stack's code names them (written out here, not imported). */
const completeOutputs = (): Record<string, string> =>
  Object.fromEntries(
    [
      'ProcessingBucketName',
      'QuarantineBucketName',
      'TableName',
      'OutcomesTableName',
      'HistoryTableName',
      'HistoryRetentionSeconds',
      'TopicArn',
      'UploaderRoleArn',
      'QuarantineAdminRoleArn',
      'UploaderCliPolicyArn',
      'AdminCliPolicyArn',
      'AdminMfaRequired',
      'AccessLogLocation',
      'ProcessorFunctionName',
      'DeadLetterQueueUrl',
      'ProcessorDeadLetterQueueUrl',
      'StuckAfterSeconds',
      'SchemaHash',
      'DataRetention',
      'DashboardUrl',
      'SelftestRoleArn',
      'SelftestQueueUrl',
    ].map((name) => [name, name === 'AdminMfaRequired' ? 'true' : name === 'SchemaHash' ? 'ffffffffffffffff' : 'x']),
  )

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

  it('stops at the region, offering --region and --local, when none is given', async () => {
    vi.stubEnv('AWS_REGION', '')
    vi.stubEnv('AWS_DEFAULT_REGION', '')
    const checks = await awsChecks({stack: 'EventPulse', 'assume-role': true, profile: 'eventpulse-test-no-region'})
    expect(checks.map((c) => c.check)).toEqual(['node', 'local pipeline', 'region'])
    expect(checks.at(-1)).toMatchObject({status: 'fail', detail: 'No AWS region given.'})
    expect(checks.at(-1)?.fix).toMatch(
      /^For AWS: pass --region, set AWS_REGION, .* --local\. No local pipeline is running here/,
    )
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0)
  })

  it('stops after the stack check when the stack is not there', async () => {
    stack.cloudFormation.reset()
    stack.cloudFormation.rejects(
      Object.assign(new Error('Stack with id EventPulse does not exist'), {name: 'ValidationError'}),
    )
    const checks = await run()
    expect(checks.map((c) => c.check)).toEqual(['node', 'local pipeline', 'credentials', 'stack'])
    expect(checks.at(-1)?.status).toBe('fail')
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0)
  })

  it('passes a stack with every output, names the region, and reports own credentials with --no-assume-role', async () => {
    const complete = completeOutputs()
    stack.answerWith({...outputs, ...complete, ProcessingBucketName: 'p', QuarantineBucketName: 'q'})
    s3.on(HeadBucketCommand).resolves({})
    const checks = await awsChecks({stack: 'EventPulse', 'assume-role': false})
    expect(checks.find((c) => c.check === 'credentials')?.detail).toBe(
      'arn:aws:iam::123456789012:user/alice (account 123456789012, region eu-west-1)',
    )
    expect(checks.find((c) => c.check === 'stack')).toEqual({
      check: 'stack',
      status: 'pass',
      detail: 'EventPulse in eu-west-1, outputs cached',
    })
    expect(checks.find((c) => c.check === 'uploader role')?.detail).toBe('your own credentials (--no-assume-role)')
    expect(checks.find((c) => c.check === 'schema')?.detail).toMatch(
      /^Stack EventPulse checks records with schema ffffffffffffffff/,
    )
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0)
  })

  it('names the outputs a stack deployed by an older version lacks, and how to add them', async () => {
    const {UploaderRoleArn: _u, TableName: _t, SchemaHash: _s, ...older} = completeOutputs()
    stack.answerWith({...older, ProcessingBucketName: 'p'})
    const checks = await run()
    expect(checks[1]).toEqual({check: 'local pipeline', status: 'pass', detail: 'not running; only --local needs it'})
    expect(checks.find((c) => c.check === 'stack')).toEqual({
      check: 'stack',
      status: 'warn',
      detail: 'EventPulse in eu-west-1 lacks outputs TableName, UploaderRoleArn, SchemaHash',
      fix: 'Redeploy the stack with this version of EventPulse (`eventpulse deploy`).',
    })
    // Without its role's output the uploader role cannot be checked, nor its bucket; the admin's still is.
    expect(checks.find((c) => c.check === 'uploader role')).toMatchObject({
      status: 'fail',
      detail: 'Stack EventPulse has no output UploaderRoleArn.',
      fix: expect.stringMatching(
        /^Redeploy the stack with this version of EventPulse, or pass --role-arn or --no-assume-role\./,
      ),
    })
    expect(checks.find((c) => c.check === 'processingBucket')).toBeUndefined()
    expect(checks.find((c) => c.check === 'quarantineAdmin role')?.status).toBe('pass')
  })

  it('sends STS and CloudFormation requests to the endpoints given for them', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_STS', 'http://127.0.0.1:4001')
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', 'http://127.0.0.1:4002')
    const endpoints: string[] = []
    const recorded =
      <T>(create: (config: ClientBasics) => T) =>
      (config: ClientBasics) => {
        endpoints.push(`${config.region} ${String(config.endpoint)}`)
        return create(config)
      }
    await awsChecks(
      {stack: 'EventPulse', 'assume-role': true},
      {
        clients: {
          sts: recorded((config) => new STSClient(config)),
          cloudFormation: recorded((config) => new CloudFormationClient(config)),
        },
      },
    )
    expect(endpoints.slice(0, 2)).toEqual(['eu-west-1 http://127.0.0.1:4001', 'eu-west-1 http://127.0.0.1:4002'])
  })
})
