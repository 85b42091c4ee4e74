import {Agent as HttpsAgent} from 'node:https'

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'
import {describe, expect, it} from 'vitest'

import {
  type ClientBasics,
  createS3Client,
  dynamoDbClientIf,
  lambdaClientIf,
  type PipelineTarget,
  requestHandlerFor,
  resource,
  snsClientIf,
  sqsClientIf,
  versionStoreOf,
} from '#aws/clients.js'
import {CliError} from '#core/errors.js'
import {handlerOptions} from './request-handler.js'

const target = (overrides: Partial<PipelineTarget> = {}): PipelineTarget => ({
  label: 'stack EventPulse in eu-west-1 (profile dev)',
  region: 'eu-west-1',
  resources: {},
  concurrency: 16,
  s3: {} as S3Client,
  ...overrides,
})

const basics = (endpoint?: string): ClientBasics => ({
  region: 'eu-west-1',
  endpoint,
  credentials: {accessKeyId: 'AKIA', secretAccessKey: 'secret'},
  requestHandler: requestHandlerFor(4),
  maxAttempts: 5,
})

describe('resource', () => {
  it('gives the name the target knows', () => {
    expect(resource(target({resources: {table: 'EventPulse-Table'}}), 'table')).toBe('EventPulse-Table')
  })

  it.each([
    ['table', '--table'],
    ['processingBucket', '--processing-bucket'],
    ['quarantineBucket', '--quarantine-bucket'],
    ['outcomesTable', '--outcomes-table'],
    ['historyTable', '--history-table'],
    ['topicArn', '--topic-arn'],
    ['deadLetterQueueUrl', '--dead-letter-queue-url'],
    ['processorDeadLetterQueueUrl', '--processor-dead-letter-queue-url'],
    ['processorFunctionName', '--processor-function'],
    ['selftestQueueUrl', '--selftest-queue-url'],
  ] as const)('an unknown %s is a usage error (exit 2) saying to pass %s', (name, flag) => {
    let error: unknown
    try {
      resource(target({resources: {processingBucket: ''}}), name)
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({
      message: `No ${name} known for stack EventPulse in eu-west-1 (profile dev).`,
      exitCode: 2,
      code: 'UsageError',
      hint: `Pass ${flag}.`,
    })
  })
})

describe('versionStoreOf', () => {
  const dynamodb = {} as DynamoDBClient
  const resources = {table: 'Catalog', historyTable: 'History'}

  it("the target's tables, its history retention and clock", () => {
    const now = () => new Date('2024-06-01T00:00:00Z')
    expect(versionStoreOf(target({dynamodb, resources, historyRetentionSeconds: 86_400}), now)).toEqual({
      dynamodb,
      table: 'Catalog',
      historyTable: 'History',
      historyRetentionSeconds: 86_400,
      now,
    })
  })

  it('a year of history when the stack does not say, and the real clock by default', () => {
    const store = versionStoreOf(target({dynamodb, resources}))
    expect(store.historyRetentionSeconds).toBe(31_536_000)
    expect(Math.abs(store.now().getTime() - Date.now())).toBeLessThan(5000)
  })

  it('needs the DynamoDB client and both tables', () => {
    expect(() => versionStoreOf(target({resources}))).toThrow(
      'changing an item needs a target resolved with the tables',
    )
    expect(() => versionStoreOf(target({dynamodb, resources: {table: 'Catalog'}}))).toThrow(
      'No historyTable known for stack EventPulse in eu-west-1 (profile dev).',
    )
    expect(() => versionStoreOf(target({dynamodb, resources: {historyTable: 'History'}}))).toThrow(
      'No table known for stack EventPulse in eu-west-1 (profile dev).',
    )
  })
})

describe('requestHandlerFor', () => {
  it('keep-alive agents with a socket per request in flight, never fewer than 16; connections time out after 10 s', async () => {
    const wide = await handlerOptions(requestHandlerFor(64))
    expect(wide.httpsAgent).toBeInstanceOf(HttpsAgent)
    expect(wide.httpsAgent.maxSockets).toBe(64)
    expect(wide.httpAgent.maxSockets).toBe(64)
    expect(wide.httpsAgent).toMatchObject({keepAlive: true})
    expect(wide.httpAgent).toMatchObject({keepAlive: true})
    expect(wide.connectionTimeout).toBe(10_000)
    expect((await handlerOptions(requestHandlerFor(4))).httpsAgent.maxSockets).toBe(16)
    expect((await handlerOptions(requestHandlerFor(17))).httpAgent.maxSockets).toBe(17)
  })
})

describe('clients', () => {
  it('S3: virtual-hosted addressing on AWS, path-style at an endpoint; checksums only where required', async () => {
    const aws = createS3Client(basics())
    expect(aws.config.forcePathStyle).toBe(false)
    expect(await aws.config.region()).toBe('eu-west-1')
    expect(await aws.config.maxAttempts()).toBe(5)
    expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED')
    expect(await aws.config.responseChecksumValidation()).toBe('WHEN_REQUIRED')
    const emulator = createS3Client(basics('http://127.0.0.1:4568'))
    expect(emulator.config.forcePathStyle).toBe(true)
    expect((await emulator.config.endpoint!()).port).toBe(4568)
  })

  it('the others only when the command needs them, made with the shared settings', async () => {
    const config = basics('http://127.0.0.1:8000')
    for (const make of [dynamoDbClientIf, sqsClientIf, lambdaClientIf, snsClientIf])
      expect(await make(false, config)).toBeUndefined()
    const made = [
      await dynamoDbClientIf(true, config),
      await sqsClientIf(true, config),
      await lambdaClientIf(true, config),
      await snsClientIf(true, config),
    ]
    expect(made.map((client) => client!.constructor.name)).toEqual([
      'DynamoDBClient',
      'SQSClient',
      'LambdaClient',
      'SNSClient',
    ])
    for (const client of made) {
      expect(await client!.config.region()).toBe('eu-west-1')
      expect((await client!.config.endpoint!()).port).toBe(8000)
      expect(await client!.config.maxAttempts()).toBe(5)
      expect(await client!.config.credentials()).toMatchObject({accessKeyId: 'AKIA'})
    }
  })
})
