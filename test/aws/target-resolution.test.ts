import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import type {STSClient} from '@aws-sdk/client-sts'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {ClientBasics, ResourceName} from '#aws/clients.js'
import {writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {callerBasics, resolveAwsTarget, type TargetRequest} from '#aws/target.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {CliError} from '#core/errors.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {stubAwsEnv} from './aws-env.js'
import {handlerOptions} from './request-handler.js'

// The terminal prompt for an MFA code, standing in for a person typing one.
const promptMfaCode = vi.hoisted(() => vi.fn<(serial: string) => Promise<string>>(async () => '135790'))
vi.mock('#terminal/mfa-prompt.js', () => ({promptMfaCode}))

// The local user a session is named after when STS cannot say who calls.
vi.mock('node:os', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:os')>()),
  userInfo: () => ({username: 'local-user'}),
}))

// resolveAwsTarget with the STS and CloudFormation clients replaced by hand-made ones (its `clients` factories), in an
// environment of its own: config files, cache and AWS_* variables stubbed for each test.

const ACCOUNT = '123456789012'
const ROLES = {
  uploader: `arn:aws:iam::${ACCOUNT}:role/EventPulse-Uploader`,
  quarantineAdmin: `arn:aws:iam::${ACCOUNT}:role/EventPulse-QuarantineAdmin`,
  selftest: `arn:aws:iam::${ACCOUNT}:role/EventPulse-Selftest`,
}
const OUTPUTS: Record<string, string> = {
  ProcessingBucketName: 'ep-processing',
  QuarantineBucketName: 'ep-quarantine',
  TableName: 'EventPulse-Table',
  OutcomesTableName: 'EventPulse-Outcomes',
  HistoryTableName: 'EventPulse-History',
  TopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:ep`,
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/ep-dlq',
  ProcessorDeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/ep-processor-dlq',
  ProcessorFunctionName: 'EventPulse-Processor',
  SelftestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/ep-selftest',
  UploaderRoleArn: ROLES.uploader,
  QuarantineAdminRoleArn: ROLES.quarantineAdmin,
  SelftestRoleArn: ROLES.selftest,
  StuckAfterSeconds: '600',
  HistoryRetentionSeconds: '86400',
  SchemaHash: 'sha256-abc',
}

let home: string
let stsCalls: Array<{command: string; input: Record<string, unknown>}>
let cloudFormationCalls: number
let stsConfigs: ClientBasics[]
let cloudFormationConfigs: ClientBasics[]
let outputs: Record<string, string>
let callerArn: string

beforeEach(() => {
  home = tempDir('ep-resolve-')
  writeFileSync(
    join(home, 'config'),
    ['[default]', 'region = eu-west-1', '', '[profile dev]', 'region = eu-central-1', ''].join('\n'),
  )
  stubAwsEnv(home, {AWS_ACCESS_KEY_ID: 'AKIABASE', AWS_SECRET_ACCESS_KEY: 'base-secret'})
  stsCalls = []
  cloudFormationCalls = 0
  stsConfigs = []
  cloudFormationConfigs = []
  outputs = {...OUTPUTS}
  callerArn = `arn:aws:iam::${ACCOUNT}:user/ops/alice`
})
afterEach(() => vi.unstubAllEnvs())

const clients: TargetRequest['clients'] = {
  sts: (config) => {
    stsConfigs.push(config)
    return {
      async send(command: {input: Record<string, unknown>; constructor: {name: string}}) {
        stsCalls.push({command: command.constructor.name, input: command.input})
        if (command.constructor.name === 'GetCallerIdentityCommand') return {Account: ACCOUNT, Arn: callerArn}
        return {
          Credentials: {
            AccessKeyId: 'ASIAROLE',
            SecretAccessKey: 'role-secret',
            SessionToken: 'role-token',
            Expiration: new Date(Date.now() + 3600_000),
          },
        }
      },
    } as unknown as STSClient
  },
  cloudFormation: (config) => {
    cloudFormationConfigs.push(config)
    return {
      async send() {
        cloudFormationCalls++
        return {
          Stacks: [
            {
              StackName: 'EventPulse',
              StackStatus: 'UPDATE_COMPLETE',
              Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
            },
          ],
        }
      },
    } as unknown as CloudFormationClient
  },
}

const flags = (overrides: Partial<PipelineFlagValues> = {}): PipelineFlagValues => ({
  stack: 'EventPulse',
  'assume-role': true,
  ...overrides,
})
const request = (overrides: Partial<TargetRequest> = {}): TargetRequest => ({
  role: 'uploader',
  needs: [],
  clients,
  readMfaCode: async () => {
    throw new Error('no MFA code was expected')
  },
  ...overrides,
})
const stsCommands = () => stsCalls.map((call) => call.command)

describe('a deployed stack', () => {
  it('names it in messages by stack, region and profile; the default concurrency is 16', async () => {
    const target = await resolveAwsTarget(flags({'assume-role': false}), request())
    expect(target.label).toBe('stack EventPulse in eu-west-1 (profile default)')
    expect(target.region).toBe('eu-west-1')
    expect(target.concurrency).toBe(16)
    expect(target.local).toBeUndefined()
    const dev = await resolveAwsTarget(
      flags({profile: 'dev', stack: 'Other', 'assume-role': false}),
      request({concurrency: 4}),
    )
    expect(dev.label).toBe('stack Other in eu-central-1 (profile dev)')
    expect(dev.concurrency).toBe(4)
  })

  it('the profile from AWS_PROFILE when no --profile', async () => {
    vi.stubEnv('AWS_PROFILE', 'dev')
    const target = await resolveAwsTarget(flags({'assume-role': false}), request())
    expect(target.label).toBe('stack EventPulse in eu-central-1 (profile dev)')
    expect((await resolveAwsTarget(flags({profile: 'default', 'assume-role': false}), request())).region).toBe(
      'eu-west-1',
    )
  })

  it('asks neither STS nor CloudFormation when the flags name everything and no role is assumed', async () => {
    const target = await resolveAwsTarget(
      flags({'assume-role': false, 'processing-bucket': 'mine', table: 'my-table'}),
      request({needs: ['processingBucket', 'table']}),
    )
    expect(target.resources).toEqual({processingBucket: 'mine', table: 'my-table'})
    expect(stsCalls).toEqual([])
    expect(cloudFormationCalls).toBe(0)
    expect(target.roleArn).toBeUndefined()
    expect(target.sessionName).toBeUndefined()
    expect(await target.s3.config.credentials()).toMatchObject({accessKeyId: 'AKIABASE'})
  })

  it("fills what the flags leave open from the stack's outputs, cached under the caller's account", async () => {
    const target = await resolveAwsTarget(
      flags({'assume-role': false, 'processing-bucket': 'mine'}),
      request({needs: ['processingBucket', 'quarantineBucket']}),
    )
    expect(target.resources).toEqual({processingBucket: 'mine', quarantineBucket: 'ep-quarantine'})
    expect(stsCommands()).toEqual(['GetCallerIdentityCommand'])
    expect(cloudFormationCalls).toBe(1)
    expect(cloudFormationConfigs[0]).toMatchObject({region: 'eu-west-1', endpoint: undefined, maxAttempts: 5})
    // The next command finds them cached (for this account): no CloudFormation call.
    await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(cloudFormationCalls).toBe(1)
  })

  it('outputs cached for another account are not used', async () => {
    await writeStackOutputsCache(
      {region: 'eu-west-1', stack: 'EventPulse', account: '999999999999'},
      {...OUTPUTS, TableName: 'Elsewhere'},
    )
    const target = await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(target.resources.table).toBe('EventPulse-Table')
    expect(cloudFormationCalls).toBe(1)
  })

  it('the stack facts: stuck threshold, history retention and schema digest', async () => {
    const target = await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(target.stuckAfterSeconds).toBe(600)
    expect(target.historyRetentionSeconds).toBe(86_400)
    expect(target.schemaHash).toBe('sha256-abc')
  })

  it.each([
    ['0', undefined],
    ['-5', undefined],
    ['soon', undefined],
    ['', undefined],
    ['1', 1],
  ])('a threshold or retention output of %j is %s', async (value, expected) => {
    outputs = {...OUTPUTS, StuckAfterSeconds: value, HistoryRetentionSeconds: value}
    const target = await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(target.stuckAfterSeconds).toBe(expected)
    expect(target.historyRetentionSeconds).toBe(expected)
  })

  it('a stack without those outputs has none of the facts', async () => {
    outputs = {TableName: 'T', UploaderRoleArn: ROLES.uploader}
    const target = await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(target.stuckAfterSeconds).toBeUndefined()
    expect(target.historyRetentionSeconds).toBeUndefined()
    expect(target.schemaHash).toBeUndefined()
  })

  it('a needed output the stack lacks is StackOutputMissing (exit 4) naming the flag to pass', async () => {
    outputs = {UploaderRoleArn: ROLES.uploader}
    const error = await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['outcomesTable']})).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({
      message: 'Stack EventPulse has no output OutcomesTableName.',
      exitCode: 4,
      code: 'StackOutputMissing',
      hint:
        'Redeploy the stack with this version of EventPulse, or pass --outcomes-table. Cached outputs: ' +
        join(home, 'cache', 'eventpulse', 'stacks', 'default', 'eu-west-1', 'EventPulse.json'),
    })
  })

  it('wanted resources come from the flags or the outputs when known, and are left out otherwise', async () => {
    outputs = {...OUTPUTS}
    delete outputs.SelftestQueueUrl
    const target = await resolveAwsTarget(
      flags({'assume-role': false, 'topic-arn': 'arn:mine'}),
      request({needs: ['table'], wants: ['topicArn', 'outcomesTable', 'selftestQueueUrl']}),
    )
    expect(target.resources).toEqual({
      table: 'EventPulse-Table',
      topicArn: 'arn:mine',
      outcomesTable: 'EventPulse-Outcomes',
    })
  })

  it('wanted resources alone do not make it read the outputs', async () => {
    const target = await resolveAwsTarget(
      flags({'assume-role': false, 'processing-bucket': 'p'}),
      request({needs: ['processingBucket'], wants: ['table']}),
    )
    expect(target.resources).toEqual({processingBucket: 'p'})
    expect(cloudFormationCalls).toBe(0)
    expect(target.dynamodb).toBeUndefined()
  })
})

describe("the command's role", () => {
  it.each([
    ['uploader', ROLES.uploader],
    ['quarantineAdmin', ROLES.quarantineAdmin],
    ['selftest', ROLES.selftest],
  ] as const)("assumes the stack's %s role, as the person STS names, and signs with it", async (role, roleArn) => {
    const target = await resolveAwsTarget(flags(), request({role}))
    expect(target.roleArn).toBe(roleArn)
    expect(target.sessionName).toBe('eventpulse-alice')
    expect(await target.s3.config.credentials()).toMatchObject({accessKeyId: 'ASIAROLE', sessionToken: 'role-token'})
    expect(stsCommands()).toEqual(['GetCallerIdentityCommand', 'AssumeRoleCommand'])
    expect(stsCalls[1].input).toMatchObject({
      RoleArn: roleArn,
      RoleSessionName: 'eventpulse-alice',
      SourceIdentity: 'alice',
      ExternalId: undefined,
      SerialNumber: undefined,
    })
    // One STS client for the caller's identity and the role.
    expect(stsConfigs).toHaveLength(1)
  })

  it("a stack without the command's role output is StackOutputMissing, saying --role-arn or --no-assume-role", async () => {
    outputs = {...OUTPUTS}
    delete outputs.SelftestRoleArn
    const error = await resolveAwsTarget(flags(), request({role: 'selftest'})).catch((e: unknown) => e)
    expect(error).toMatchObject({
      message: 'Stack EventPulse has no output SelftestRoleArn.',
      exitCode: 4,
      code: 'StackOutputMissing',
      hint: expect.stringMatching(
        /^Redeploy the stack with this version of EventPulse, or pass --role-arn or --no-assume-role\. Cached outputs: /,
      ),
    })
  })

  it('--role-arn is assumed as given, without reading the outputs when the flags name the rest', async () => {
    const target = await resolveAwsTarget(
      flags({'role-arn': 'arn:aws:iam::1:role/Custom', 'external-id': 'x-1'}),
      request({needs: []}),
    )
    expect(target.roleArn).toBe('arn:aws:iam::1:role/Custom')
    await target.s3.config.credentials()
    expect(cloudFormationCalls).toBe(0)
    expect(stsCalls.at(-1)!.input).toMatchObject({RoleArn: 'arn:aws:iam::1:role/Custom', ExternalId: 'x-1'})
  })

  it('--no-assume-role ignores --role-arn', async () => {
    const target = await resolveAwsTarget(
      flags({'assume-role': false, 'role-arn': 'arn:aws:iam::1:role/Custom'}),
      request({needs: []}),
    )
    expect(target.roleArn).toBeUndefined()
    expect(await target.s3.config.credentials()).toMatchObject({accessKeyId: 'AKIABASE'})
    expect(stsCalls).toEqual([])
  })

  it('a caller STS gives no ARN for is named by the local user; no source identity is set', async () => {
    callerArn = ''
    const target = await resolveAwsTarget(flags(), request())
    await target.s3.config.credentials()
    expect(target.sessionName).toBe('eventpulse-local-user')
    expect(stsCalls.at(-1)!.input).toMatchObject({RoleSessionName: 'eventpulse-local-user', SourceIdentity: undefined})
  })

  it('every client the command uses signs with the role', async () => {
    const target = await resolveAwsTarget(
      flags(),
      request({needs: ['table', 'deadLetterQueueUrl', 'processorFunctionName', 'topicArn']}),
    )
    for (const client of [target.s3, target.dynamodb!, target.sqs!, target.lambda!, target.sns!])
      expect(await client.config.credentials()).toMatchObject({accessKeyId: 'ASIAROLE'})
    expect(stsCommands().filter((command) => command === 'AssumeRoleCommand')).toHaveLength(1)
  })
})

describe('the clients a command gets', () => {
  const made = async (needs: ResourceName[]) => {
    const target = await resolveAwsTarget(flags({'assume-role': false}), request({needs}))
    return {dynamodb: !!target.dynamodb, sqs: !!target.sqs, lambda: !!target.lambda, sns: !!target.sns}
  }

  it.each([
    [[], {dynamodb: false, sqs: false, lambda: false, sns: false}],
    [['processingBucket', 'quarantineBucket'], {dynamodb: false, sqs: false, lambda: false, sns: false}],
    [['table'], {dynamodb: true, sqs: false, lambda: false, sns: false}],
    [['outcomesTable'], {dynamodb: true, sqs: false, lambda: false, sns: false}],
    [['historyTable'], {dynamodb: false, sqs: false, lambda: false, sns: false}],
    [['deadLetterQueueUrl'], {dynamodb: false, sqs: true, lambda: false, sns: false}],
    [['processorDeadLetterQueueUrl'], {dynamodb: false, sqs: true, lambda: false, sns: false}],
    [['selftestQueueUrl'], {dynamodb: false, sqs: true, lambda: false, sns: false}],
    [['processorFunctionName'], {dynamodb: false, sqs: false, lambda: true, sns: false}],
    [['topicArn'], {dynamodb: false, sqs: false, lambda: false, sns: true}],
  ] as Array<[ResourceName[], object]>)('for %j: %j', async (needs, expected) => {
    expect(await made(needs)).toEqual(expected)
  })

  it('each service at its own endpoint variable, else --endpoint-url', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:8001')
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', 'http://127.0.0.1:8002')
    vi.stubEnv('AWS_ENDPOINT_URL_LAMBDA', 'http://127.0.0.1:8003')
    vi.stubEnv('AWS_ENDPOINT_URL_SNS', 'http://127.0.0.1:8004')
    const target = await resolveAwsTarget(
      flags({'endpoint-url': 'http://127.0.0.1:8000', 'role-arn': 'arn:aws:iam::1:role/R'}),
      request({needs: ['table', 'deadLetterQueueUrl', 'processorFunctionName', 'topicArn']}),
    )
    // The flags name none of them: the outputs come from CloudFormation at the endpoint.
    expect(cloudFormationConfigs[0].endpoint).toBe('http://127.0.0.1:8000')
    expect(target.label).toBe('http://127.0.0.1:8000')
    expect((await target.s3.config.endpoint!()).port).toBe(8000)
    expect((await target.dynamodb!.config.endpoint!()).port).toBe(8001)
    expect((await target.sqs!.config.endpoint!()).port).toBe(8002)
    expect((await target.lambda!.config.endpoint!()).port).toBe(8003)
    expect((await target.sns!.config.endpoint!()).port).toBe(8004)
    expect(stsConfigs[0].endpoint).toBe('http://127.0.0.1:8000')
  })
})

describe('at an endpoint (emulators, S3-compatible servers)', () => {
  it("asks STS nothing about the caller, assumes no stack role, and keeps the endpoint's outputs apart", async () => {
    const target = await resolveAwsTarget(flags({'endpoint-url': 'http://127.0.0.1:4566'}), request({needs: ['table']}))
    expect(target.resources.table).toBe('EventPulse-Table')
    expect(target.roleArn).toBeUndefined()
    expect(stsCalls).toEqual([])
    expect(cloudFormationCalls).toBe(1)
    // Cached for the endpoint, not for AWS.
    await resolveAwsTarget(flags({'assume-role': false}), request({needs: ['table']}))
    expect(cloudFormationCalls).toBe(2)
  })

  it('assumes --role-arn there, named by the local user (the emulator cannot say who calls)', async () => {
    const target = await resolveAwsTarget(
      flags({'endpoint-url': 'http://127.0.0.1:4566', 'role-arn': 'arn:aws:iam::1:role/R', 'processing-bucket': 'p'}),
      request({needs: ['processingBucket']}),
    )
    expect(target.sessionName).toBe('eventpulse-local-user')
    await target.s3.config.credentials()
    expect(stsCommands()).toEqual(['AssumeRoleCommand'])
    expect(stsCalls[0].input).toMatchObject({RoleArn: 'arn:aws:iam::1:role/R', SourceIdentity: undefined})
  })

  it('CloudFormation and STS at their own endpoint variables', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDFORMATION', 'http://127.0.0.1:7001')
    vi.stubEnv('AWS_ENDPOINT_URL_STS', 'http://127.0.0.1:7002')
    const target = await resolveAwsTarget(flags(), request({needs: ['table']}))
    await target.s3.config.credentials()
    expect(cloudFormationConfigs[0].endpoint).toBe('http://127.0.0.1:7001')
    expect(stsConfigs[0].endpoint).toBe('http://127.0.0.1:7002')
    // The S3 endpoint is AWS's: the caller is asked, and the stack's role assumed.
    expect(stsCommands()).toEqual(['GetCallerIdentityCommand', 'AssumeRoleCommand'])
  })
})

describe('the MFA code', () => {
  it('is asked for on the terminal by default, for the device given', async () => {
    const serial = 'arn:aws:iam::123456789012:mfa/alice'
    const target = await resolveAwsTarget(flags({'mfa-serial': serial}), {role: 'uploader', needs: [], clients})
    await target.s3.config.credentials()
    expect(promptMfaCode).toHaveBeenCalledWith(serial)
    expect(stsCalls.at(-1)!.input).toMatchObject({SerialNumber: serial, TokenCode: '135790'})
  })

  it("comes from the command's reader when it gives one, for the profile's device", async () => {
    writeFileSync(
      join(home, 'config'),
      [
        '[profile mfa-device]',
        'region = eu-west-1',
        'mfa_serial = arn:aws:iam::123456789012:mfa/profile-device',
        '',
      ].join('\n'),
    )
    const readMfaCode = vi.fn(async () => '246810')
    // A profile no other test reads: loadProfile reads each profile once per process.
    const target = await resolveAwsTarget(flags({profile: 'mfa-device'}), request({readMfaCode}))
    await target.s3.config.credentials()
    expect(readMfaCode).toHaveBeenCalledWith('arn:aws:iam::123456789012:mfa/profile-device')
    expect(stsCalls.at(-1)!.input).toMatchObject({
      SerialNumber: 'arn:aws:iam::123456789012:mfa/profile-device',
      TokenCode: '246810',
    })
  })
})

describe('callerBasics', () => {
  it("the profile, region, endpoint and the caller's own credentials every client starts from", async () => {
    const basics = await callerBasics(flags({profile: 'dev'}), {concurrency: 40})
    expect(basics).toMatchObject({profileName: 'dev', profile: 'dev', endpoint: undefined, region: 'eu-central-1'})
    expect(basics.basics).toMatchObject({region: 'eu-central-1', endpoint: undefined, maxAttempts: 5})
    // Sockets for the requests in flight, shared by every client.
    expect((await handlerOptions(basics.basics.requestHandler)).httpsAgent.maxSockets).toBe(40)
    const none = await callerBasics(flags({'endpoint-url': 'http://127.0.0.1:4566'}), {})
    expect(none).toMatchObject({profileName: undefined, profile: 'default', endpoint: 'http://127.0.0.1:4566'})
    expect(await none.basics.credentials).toBeTypeOf('function')
  })

  it('no region anywhere is a usage error (exit 2)', async () => {
    writeFileSync(join(home, 'config'), '[default]\n')
    const error = await callerBasics(flags({profile: 'nowhere'}), {}).catch((e: unknown) => e)
    expect(error).toMatchObject({message: 'No AWS region given.', exitCode: 2, code: 'NoRegion'})
  })
})
