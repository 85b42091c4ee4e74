import {join} from 'node:path'

import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {describeStackOutputs, discoverStackOutputs, requireOutput} from '#aws/stack-outputs.js'
import {CliError} from '#core/errors.js'
import {tempDir} from '../helpers/temp-dirs.js'

// The cache is under this file's own XDG_CACHE_HOME (stubbed): discoverStackOutputs and requireOutput read process.env.

let cacheHome: string
beforeEach(() => {
  cacheHome = tempDir('ep-stack-outputs-')
  vi.stubEnv('XDG_CACHE_HOME', cacheHome)
})
afterEach(() => vi.unstubAllEnvs())

/** A CloudFormation client answering DescribeStacks with `answer` (or failing with it), keeping the requests. */
function fakeCloudFormation(answer: object | Error) {
  const requests: Array<{command: string; input: unknown}> = []
  const client = {
    async send(command: {input: unknown; constructor: {name: string}}) {
      requests.push({command: command.constructor.name, input: command.input})
      if (answer instanceof Error) throw answer
      return answer
    },
  }
  return {client: client as unknown as CloudFormationClient, requests}
}

const TARGET = {profile: 'dev', region: 'eu-west-1', stack: 'EventPulse'}
const stackWith = (status: string, outputs?: Array<{OutputKey?: string; OutputValue?: string}>) => ({
  Stacks: [{StackName: 'EventPulse', StackStatus: status, Outputs: outputs}],
})

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CliError)
  return error as CliError
}

describe('describeStackOutputs', () => {
  it('asks DescribeStacks for the stack by name and gives its outputs by key', async () => {
    const {client, requests} = fakeCloudFormation(
      stackWith('UPDATE_COMPLETE', [
        {OutputKey: 'ProcessingBucketName', OutputValue: 'ep-processing-abc'},
        {OutputKey: 'TableName', OutputValue: 'EventPulse-Table'},
      ]),
    )
    expect(await describeStackOutputs(TARGET, client)).toEqual({
      ProcessingBucketName: 'ep-processing-abc',
      TableName: 'EventPulse-Table',
    })
    expect(requests).toEqual([{command: 'DescribeStacksCommand', input: {StackName: 'EventPulse'}}])
  })

  it('leaves out outputs without a key or a value; keeps an empty value', async () => {
    const {client} = fakeCloudFormation(
      stackWith('CREATE_COMPLETE', [
        {OutputKey: 'TableName'},
        {OutputValue: 'orphan'},
        {OutputKey: 'SchemaHash', OutputValue: ''},
        {OutputKey: 'TopicArn', OutputValue: 'arn:aws:sns:eu-west-1:123456789012:ep'},
      ]),
    )
    expect(await describeStackOutputs(TARGET, client)).toEqual({
      SchemaHash: '',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ep',
    })
  })

  it('a stack with no outputs at all gives none', async () => {
    expect(await describeStackOutputs(TARGET, fakeCloudFormation(stackWith('CREATE_COMPLETE')).client)).toEqual({})
    expect(await describeStackOutputs(TARGET, fakeCloudFormation(stackWith('ROLLBACK_COMPLETE', [])).client)).toEqual(
      {},
    )
  })

  it('a stack still being created (no outputs yet) is StackNotReady, exit 4, saying to wait', async () => {
    const error = await failure(
      describeStackOutputs(TARGET, fakeCloudFormation(stackWith('CREATE_IN_PROGRESS')).client),
    )
    expect(error.message).toBe('Stack EventPulse is still being created (CREATE_IN_PROGRESS).')
    expect(error.exitCode).toBe(4)
    expect(error.code).toBe('StackNotReady')
    expect(error.hint).toBe('Wait for the deployment to finish, then try again.')
    const empty = await failure(
      describeStackOutputs(TARGET, fakeCloudFormation(stackWith('CREATE_IN_PROGRESS', [])).client),
    )
    expect(empty.code).toBe('StackNotReady')
  })

  it('a stack being updated still has the outputs of its last deployment: they are used', async () => {
    const {client} = fakeCloudFormation(
      stackWith('UPDATE_IN_PROGRESS', [{OutputKey: 'TableName', OutputValue: 'EventPulse-Table'}]),
    )
    expect(await describeStackOutputs(TARGET, client)).toEqual({TableName: 'EventPulse-Table'})
  })

  it('a stack that is not in progress has its (empty) outputs given, whatever its status', async () => {
    for (const status of ['CREATE_FAILED', 'IN_PROGRESS_NOT', 'DELETE_COMPLETE'])
      expect(await describeStackOutputs(TARGET, fakeCloudFormation(stackWith(status)).client)).toEqual({})
    expect(
      await describeStackOutputs(TARGET, fakeCloudFormation({Stacks: [{StackName: 'EventPulse'}]}).client),
    ).toEqual({})
  })

  it('no stack in the answer is StackNotFound, exit 4, naming stack, region and profile', async () => {
    for (const answer of [{}, {Stacks: []}]) {
      const error = await failure(describeStackOutputs(TARGET, fakeCloudFormation(answer).client))
      expect(error.message).toBe('Stack EventPulse not found in eu-west-1 (profile dev).')
      expect(error.exitCode).toBe(4)
      expect(error.code).toBe('StackNotFound')
      expect(error.hint).toBe('Check --stack, --region and --profile, or deploy it first with `eventpulse deploy`.')
    }
  })

  it("CloudFormation's 'does not exist' is StackNotFound, with the default profile named when none is", async () => {
    const cause = Object.assign(new Error('Stack with id Nope does not exist'), {name: 'ValidationError'})
    const error = await failure(
      describeStackOutputs({region: 'us-east-2', stack: 'Nope'}, fakeCloudFormation(cause).client),
    )
    expect(error.message).toBe('Stack Nope not found in us-east-2 (profile default).')
    expect(error.exitCode).toBe(4)
    expect(error.code).toBe('StackNotFound')
    expect(error.cause).toBe(cause)
  })

  it('passes on other validation errors and any other error as they are', async () => {
    const invalid = Object.assign(new Error('1 validation error detected: StackName'), {name: 'ValidationError'})
    await expect(describeStackOutputs(TARGET, fakeCloudFormation(invalid).client)).rejects.toBe(invalid)
    const denied = Object.assign(new Error('Stack with id X does not exist'), {name: 'AccessDenied'})
    await expect(describeStackOutputs(TARGET, fakeCloudFormation(denied).client)).rejects.toBe(denied)
    const nameless = new Error('does not exist')
    await expect(describeStackOutputs(TARGET, fakeCloudFormation(nameless).client)).rejects.toBe(nameless)
  })
})

describe('discoverStackOutputs', () => {
  it('on a miss asks CloudFormation, then caches the outputs for the next command', async () => {
    const {client, requests} = fakeCloudFormation(
      stackWith('CREATE_COMPLETE', [{OutputKey: 'TableName', OutputValue: 'EventPulse-Table'}]),
    )
    const factory = vi.fn(async () => client)
    expect(await discoverStackOutputs(TARGET, factory)).toEqual({TableName: 'EventPulse-Table'})
    expect(factory).toHaveBeenCalledTimes(1)
    expect(requests).toHaveLength(1)
    expect(await discoverStackOutputs(TARGET, factory)).toEqual({TableName: 'EventPulse-Table'})
    expect(factory).toHaveBeenCalledTimes(1)
    expect(requests).toHaveLength(1)
  })

  it('uses cached outputs without even making a client', async () => {
    await writeStackOutputsCache(TARGET, {TableName: 'Cached-Table'})
    const factory = vi.fn(async () => fakeCloudFormation(new Error('not to be called')).client)
    expect(await discoverStackOutputs(TARGET, factory)).toEqual({TableName: 'Cached-Table'})
    expect(factory).not.toHaveBeenCalled()
  })

  it('caches nothing when the stack is not found', async () => {
    const factory = async () => fakeCloudFormation({Stacks: []}).client
    await expect(discoverStackOutputs(TARGET, factory)).rejects.toMatchObject({code: 'StackNotFound'})
    await expect(discoverStackOutputs(TARGET, factory)).rejects.toMatchObject({code: 'StackNotFound'})
  })
})

describe('requireOutput', () => {
  it('gives the named output', () => {
    expect(requireOutput({TableName: 'T'}, 'TableName', TARGET, '--table')).toBe('T')
  })

  it('a missing or empty output is StackOutputMissing, exit 4, with the flag to pass and the cache file', () => {
    for (const outputs of [{}, {TableName: ''}]) {
      let error: unknown
      try {
        requireOutput(outputs, 'TableName', TARGET, '--table')
      } catch (thrown) {
        error = thrown
      }
      expect(error).toBeInstanceOf(CliError)
      expect(error).toMatchObject({
        message: 'Stack EventPulse has no output TableName.',
        exitCode: 4,
        code: 'StackOutputMissing',
        hint:
          'Redeploy the stack with this version of EventPulse, or pass --table. Cached outputs: ' +
          join(cacheHome, 'eventpulse', 'stacks', 'dev', 'eu-west-1', 'EventPulse.json'),
      })
    }
  })
})
