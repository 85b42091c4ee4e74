import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {resolveDeployConfig} from '#deploy/config.js'
import {deployStack, type DeployRequest} from '#deploy/deploy.js'
import {destroyStack, type DestroyRequest} from '#deploy/destroy.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {readStackOutputsCache, stackOutputsCacheFile, writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {FIRST_SYNTH_TIMEOUT_MS, stubProcessorBundle} from '../infra/synth.js'
import {ACCOUNT, awsError, FakeAws, REGION} from './fake-aws.js'
import {tempDir} from '../helpers/temp-dirs.js'

const require = createRequire(import.meta.url)
const {CloudFormationClient} = require('@aws-sdk/client-cloudformation')
const {S3Client} = require('@aws-sdk/client-s3')
const {DynamoDBClient} = require('@aws-sdk/client-dynamodb')

const STACK = 'PulseTest'
const DEPLOYED_OUTPUTS = {
  [STACK_OUTPUTS.processingBucket]: 'pulsetest-processing-abc',
  [STACK_OUTPUTS.quarantineBucket]: 'pulsetest-quarantine-def',
  [STACK_OUTPUTS.table]: 'PulseTest-Table-XYZ',
  [STACK_OUTPUTS.dataRetention]: 'retain',
}

/** Credentials that no provider could find, as the SDK reports it. */
const noCredentials = async () => {
  throw awsError('CredentialsProviderError', 'Could not load credentials from any providers')
}

let bundleDir: string
let aws: FakeAws
let stderr: string
let questions: string[]

beforeAll(() => {
  bundleDir = stubProcessorBundle()
  // The toolkit and aws-cdk-lib keep caches under the home directory; the stack outputs go to the XDG cache.
  const home = tempDir('eventpulse-flows-')
  process.env.HOME = home
  process.env.XDG_CACHE_HOME = join(home, 'cache')
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
})

beforeEach(() => {
  aws = new FakeAws().install()
  stderr = ''
  questions = []
})

afterEach(() => aws.restore())

/** Answers each question in turn, recording it. */
function answering(...answers: boolean[]) {
  return async (question: string) => {
    questions.push(question)
    return answers.shift() ?? false
  }
}

function deployRequest(overrides: Partial<DeployRequest> = {}): DeployRequest {
  return {
    config: resolveDeployConfig({stack: STACK, region: REGION}),
    yes: false,
    assemblyDir: tempDir('eventpulse-asm-'),
    credentials: aws.credentials(),
    processorBundleDir: bundleDir,
    stackEventPollingInterval: 1,
    write: (text) => (stderr += text),
    ...overrides,
  }
}

// Its first test makes the worker's first CDK synth.
describe('deploy', {timeout: FIRST_SYNTH_TIMEOUT_MS}, () => {
  it('shows the change set with IAM changes, deploys once confirmed, prints and caches the outputs', async () => {
    aws.outputsOnCreate = DEPLOYED_OUTPUTS
    const outcome = await deployStack(deployRequest({ask: answering(true)}))

    expect(questions).toEqual([`Deploy these changes to stack ${STACK}?`])
    expect(stderr).toContain('IAM Statement Changes')
    // cdk-nag looked at the stack before the change set was shown.
    expect(stderr.indexOf('cdk-nag (AwsSolutions): no unacknowledged findings')).toBeGreaterThanOrEqual(0)
    expect(stderr.indexOf('cdk-nag')).toBeLessThan(stderr.indexOf('IAM Statement Changes'))
    expect(stderr).not.toContain('--no-require-mfa')
    expect(stderr).toMatch(/\[\+\] AWS::S3::Bucket/)
    expect(aws.commands('CloudFormation')).toContain('CloudFormation ExecuteChangeSet')
    expect(outcome).toMatchObject({
      deployed: true,
      stack: STACK,
      account: ACCOUNT,
      region: REGION,
      bootstrapped: false,
      outputs: DEPLOYED_OUTPUTS,
    })
    const target = {region: REGION, stack: STACK}
    expect(await readStackOutputsCache(target)).toEqual(DEPLOYED_OUTPUTS)
    expect(outcome.deployed && outcome.cacheFile).toBe(stackOutputsCacheFile(target))
  })

  it("pins the buckets' writers to the stack's roles and the deploying principal STS names", async () => {
    const request = deployRequest({yes: true})
    await deployStack(request)
    const template = readFileSync(join(request.assemblyDir, `${STACK}.template.json`), 'utf8')
    expect(template).toContain(`"arn:aws:iam::${ACCOUNT}:user/dev"`)
  })

  it('warns, before anything else, when deployed with --no-require-mfa', async () => {
    await deployStack(
      deployRequest({yes: true, config: resolveDeployConfig({stack: STACK, region: REGION, requireMfa: false})}),
    )
    expect(stderr).toMatch(/^Warning: --no-require-mfa: the quarantine-admin role will not require MFA/)
  })

  it('changes nothing when the user declines, and caches nothing', async () => {
    const outcome = await deployStack(
      deployRequest({config: resolveDeployConfig({stack: 'DeclinedStack', region: REGION}), ask: answering(false)}),
    )

    expect(outcome).toEqual({deployed: false, stack: 'DeclinedStack', reason: 'declined'})
    expect(questions).toHaveLength(1)
    expect(aws.commands()).not.toContain('CloudFormation ExecuteChangeSet')
    expect(await readStackOutputsCache({region: REGION, stack: 'DeclinedStack'})).toBeUndefined()
  })

  it('refuses (exit 2) rather than take the toolkit\'s default "yes" when there is no terminal and no --yes', async () => {
    const error = await deployStack(deployRequest({yes: false})).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.Usage)
    expect((error as CliError).code).toBe('ConfirmationRequired')
    expect(aws.commands()).not.toContain('CloudFormation ExecuteChangeSet')
  })

  it('deploys without a question with --yes', async () => {
    const outcome = await deployStack(deployRequest({yes: true}))
    expect(outcome.deployed).toBe(true)
    expect(aws.commands()).toContain('CloudFormation ExecuteChangeSet')
  })

  it('detects a missing bootstrap and offers to bootstrap; declined, nothing is deployed', async () => {
    aws.bootstrapVersion = undefined
    const outcome = await deployStack(deployRequest({ask: answering(false)}))

    expect(outcome).toEqual({deployed: false, stack: STACK, reason: 'bootstrap-declined'})
    expect(questions).toEqual([
      `Bootstrap aws://${ACCOUNT}/${REGION} now? ` +
        `This deploys the CDKToolkit stack (an asset bucket and deployment roles).`,
    ])
    expect(stderr).toContain(`aws://${ACCOUNT}/${REGION} is not bootstrapped`)
    expect(aws.commands()).not.toContain('CloudFormation CreateChangeSet')
  })

  it('bootstraps when the user agrees, then deploys', async () => {
    aws.bootstrapVersion = undefined
    // Creating the CDKToolkit stack is what makes the version parameter appear.
    aws.overrides.set('CloudFormation ExecuteChangeSet', ({StackName}) => {
      if (StackName === 'CDKToolkit') aws.bootstrapVersion = '30'
      aws.addStack(
        StackName,
        StackName === 'CDKToolkit' ? {BucketName: `cdk-assets-${ACCOUNT}`, BootstrapVersion: '30'} : DEPLOYED_OUTPUTS,
      )
      return {}
    })
    const outcome = await deployStack(deployRequest({ask: answering(true, true, true)}))

    expect(questions[0]).toMatch(/^Bootstrap aws:\/\//)
    expect(questions).toContain(`Deploy these changes to stack ${STACK}?`)
    expect(outcome).toMatchObject({deployed: true, bootstrapped: true, outputs: DEPLOYED_OUTPUTS})
    const created = aws.calls.filter((c) => c.command === 'ExecuteChangeSet').map((c) => c.input.StackName)
    expect(created).toEqual(['CDKToolkit', STACK])
  })

  it('checks the credentials first: without usable ones, exit 3 with a hint, and nothing synthesized', async () => {
    const request = deployRequest({yes: true, credentials: noCredentials})
    const error = await deployStack(request).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.Credentials)
    expect((error as CliError).hint).toMatch(/--profile/)
    expect(existsSync(join(request.assemblyDir, 'manifest.json'))).toBe(false)
    expect(aws.calls).toEqual([])
  })

  it('stops at credentials that STS refuses (exit 3), before synthesizing', async () => {
    aws.overrides.set('STS GetCallerIdentity', () => {
      throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
    })
    const request = deployRequest({yes: true})
    const error = await deployStack(request).catch((e: unknown) => e)

    expect((error as CliError).exitCode).toBe(ExitCode.Credentials)
    expect((error as CliError).message).toMatch(/^No usable AWS credentials: The security token/)
    expect(existsSync(join(request.assemblyDir, 'manifest.json'))).toBe(false)
    expect(aws.commands()).toEqual(['STS GetCallerIdentity'])
  })
})

describe('destroy', () => {
  function destroyRequest(overrides: Partial<DestroyRequest> = {}): DestroyRequest {
    return {
      config: resolveDeployConfig({stack: STACK, region: REGION}),
      destroyData: false,
      yes: false,
      assemblyDir: tempDir('eventpulse-asm-'),
      credentials: aws.credentials(),
      processorBundleDir: bundleDir,
      stackEventPollingInterval: 1,
      clients: {
        cloudFormation: (region) =>
          new CloudFormationClient({region, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}}),
        s3: (region) => new S3Client({region, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}}),
        dynamodb: (region) => new DynamoDBClient({region, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}}),
      },
      write: (text) => (stderr += text),
      ...overrides,
    }
  }

  it('says which data stays, deletes the stack once its name is typed, and forgets the cached outputs', async () => {
    aws.addStack(STACK, DEPLOYED_OUTPUTS)
    await writeStackOutputsCache({region: REGION, stack: STACK}, DEPLOYED_OUTPUTS)
    const typed: string[] = []
    const outcome = await destroyStack(destroyRequest({confirmName: async (name) => (typed.push(name), true)}))

    expect(typed).toEqual([STACK])
    expect(stderr).toMatch(/Its data is retained/)
    for (const name of Object.values(DEPLOYED_OUTPUTS).slice(0, 3)) expect(stderr).toContain(name)
    expect(outcome).toMatchObject({destroyed: true, stack: STACK, region: REGION, emptied: {}, deleted: []})
    expect(outcome.retained.join(' ')).toContain('pulsetest-quarantine-def')
    expect(aws.commands()).toContain('CloudFormation DeleteStack')
    expect(aws.commands('S3')).toEqual([])
    expect(existsSync(stackOutputsCacheFile({region: REGION, stack: STACK}))).toBe(false)
  })

  it('deletes nothing when the typed name does not match', async () => {
    aws.addStack(STACK, DEPLOYED_OUTPUTS)
    const outcome = await destroyStack(destroyRequest({confirmName: async () => false}))

    expect(outcome.destroyed).toBe(false)
    expect(aws.commands()).not.toContain('CloudFormation DeleteStack')
  })

  it('checks the credentials first: without usable ones, exit 3, nothing synthesized, nothing asked or deleted', async () => {
    aws.addStack(STACK, DEPLOYED_OUTPUTS)
    const request = destroyRequest({yes: true, credentials: noCredentials})
    const error = await destroyStack(request).catch((e: unknown) => e)

    expect((error as CliError).exitCode).toBe(ExitCode.Credentials)
    expect(existsSync(join(request.assemblyDir, 'manifest.json'))).toBe(false)
    expect(aws.calls).toEqual([])
  })

  it('refuses without a terminal and without --yes (exit 2)', async () => {
    aws.addStack(STACK, DEPLOYED_OUTPUTS)
    const error = await destroyStack(destroyRequest()).catch((e: unknown) => e)

    expect((error as CliError).exitCode).toBe(ExitCode.Usage)
    expect(aws.commands()).not.toContain('CloudFormation DeleteStack')
  })

  it('with --destroy-data, deletes every object version and delete marker from both buckets, then the stack', async () => {
    aws.addStack(STACK, {...DEPLOYED_OUTPUTS, [STACK_OUTPUTS.dataRetention]: 'destroy'})
    const pages: Record<string, object[]> = {
      'pulsetest-processing-abc': [{Versions: [{Key: 'a.json', VersionId: 'null'}], IsTruncated: false}],
      'pulsetest-quarantine-def': [
        {
          Versions: [
            {Key: 'a.json/q-0123456789abcdef', VersionId: 'v1'},
            {Key: 'a.json/q-0123456789abcdef', VersionId: 'v2'},
          ],
          DeleteMarkers: [{Key: 'b.json/q-fedcba9876543210', VersionId: 'm1'}],
          IsTruncated: true,
          NextKeyMarker: 'b.json/q-fedcba9876543210',
          NextVersionIdMarker: 'm1',
        },
        {Versions: [{Key: 'c.json/q-00000000000000aa', VersionId: 'v9'}], IsTruncated: false},
      ],
    }
    aws.overrides.set('S3 ListObjectVersions', ({Bucket, KeyMarker}) => {
      const [first, second] = pages[Bucket]
      return KeyMarker ? second : first
    })
    aws.overrides.set('S3 DeleteObjects', () => ({Deleted: []}))
    const outcome = await destroyStack(destroyRequest({destroyData: true, yes: true}))

    expect(stderr).toMatch(/ALL ITS DATA WILL BE DELETED/)
    expect(outcome.emptied).toEqual({'pulsetest-processing-abc': 1, 'pulsetest-quarantine-def': 4})
    const deletions = aws.calls
      .filter((c) => c.command === 'DeleteObjects')
      .map((c) => [c.input.Bucket, (c.input.Delete as {Objects: unknown}).Objects])
    expect(deletions).toEqual([
      ['pulsetest-processing-abc', [{Key: 'a.json', VersionId: 'null'}]],
      [
        'pulsetest-quarantine-def',
        [
          {Key: 'a.json/q-0123456789abcdef', VersionId: 'v1'},
          {Key: 'a.json/q-0123456789abcdef', VersionId: 'v2'},
          {Key: 'b.json/q-fedcba9876543210', VersionId: 'm1'},
        ],
      ],
      ['pulsetest-quarantine-def', [{Key: 'c.json/q-00000000000000aa', VersionId: 'v9'}]],
    ])
    const order = aws.commands().filter((c) => c === 'S3 DeleteObjects' || c === 'CloudFormation DeleteStack')
    expect(order.at(-1)).toBe('CloudFormation DeleteStack')
    expect(outcome.destroyed).toBe(true)
  })

  it('with --destroy-data, lifts the deletion protection of the table and each replica, after the typed name, before deleting', async () => {
    aws.addStack(STACK, {...DEPLOYED_OUTPUTS, [STACK_OUTPUTS.dataRetention]: 'destroy'})
    const declined = await destroyStack(destroyRequest({destroyData: true, confirmName: async () => false}))
    expect(declined.destroyed).toBe(false)
    expect(aws.commands('DynamoDB')).toEqual([])

    const outcome = await destroyStack(destroyRequest({destroyData: true, confirmName: async () => true}))
    expect(outcome.destroyed).toBe(true)
    const lifted = aws.calls.filter((c) => c.command === 'UpdateTable').map((c) => c.input)
    expect(lifted).toEqual([
      {TableName: 'PulseTest-Table-XYZ', DeletionProtectionEnabled: false},
      {TableName: 'PulseTest-Table-XYZ', DeletionProtectionEnabled: false},
    ])
    const order = aws.commands().filter((c) => /UpdateTable|DeleteStack/.test(c))
    expect(order).toEqual(['DynamoDB UpdateTable', 'DynamoDB UpdateTable', 'CloudFormation DeleteStack'])
    expect(stderr).toContain(`Lifted the deletion protection of table PulseTest-Table-XYZ (${REGION}, us-east-1)`)
  })

  it('will not destroy data of a stack deployed to retain it, nor silently delete data of one deployed to destroy it', async () => {
    aws.addStack(STACK, DEPLOYED_OUTPUTS)
    const retainStack = await destroyStack(destroyRequest({destroyData: true, yes: true})).catch((e: unknown) => e)
    expect((retainStack as CliError).exitCode).toBe(ExitCode.Usage)
    expect((retainStack as CliError).hint).toContain('--destroy-data-on-delete')

    aws.addStack(STACK, {...DEPLOYED_OUTPUTS, [STACK_OUTPUTS.dataRetention]: 'destroy'})
    const destroyStackData = await destroyStack(destroyRequest({yes: true})).catch((e: unknown) => e)
    expect((destroyStackData as CliError).exitCode).toBe(ExitCode.Usage)
    expect((destroyStackData as CliError).hint).toContain('--destroy-data')
    expect(aws.commands()).not.toContain('CloudFormation DeleteStack')
    expect(aws.commands()).not.toContain('S3 DeleteObjects')
  })
})
