// Only the S3 client is loaded up front: the others are imported when a command needs them, as loading the AWS SDK's
// modules is most of a short command's start-up time.
import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {LambdaClient} from '@aws-sdk/client-lambda'
import {S3Client} from '@aws-sdk/client-s3'
import type {SNSClient} from '@aws-sdk/client-sns'
import type {SQSClient} from '@aws-sdk/client-sqs'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {DEFAULT_HISTORY_RETENTION_SECONDS} from '#contract/table.js'
import {usageError} from '#core/errors.js'
import {createRequestHandler} from './http.js'

export type ResourceName =
  | 'processingBucket'
  | 'quarantineBucket'
  | 'table'
  | 'outcomesTable'
  | 'historyTable'
  | 'topicArn'
  | 'deadLetterQueueUrl'
  | 'processorDeadLetterQueueUrl'
  | 'processorFunctionName'

/** The flag that names each resource, for messages and for reading the flags. */
export const RESOURCE_FLAGS = {
  processingBucket: 'processing-bucket',
  quarantineBucket: 'quarantine-bucket',
  table: 'table',
  outcomesTable: 'outcomes-table',
  historyTable: 'history-table',
  topicArn: 'topic-arn',
  deadLetterQueueUrl: 'dead-letter-queue-url',
  processorDeadLetterQueueUrl: 'processor-dead-letter-queue-url',
  processorFunctionName: 'processor-function',
} as const satisfies Record<ResourceName, string>

/** The dead-letter queues: the rule's, for events it could not deliver, and the processor's, for failed invocations. */
export const DEAD_LETTER_QUEUES = [
  'deadLetterQueueUrl',
  'processorDeadLetterQueueUrl',
] as const satisfies ResourceName[]

/** Where a command sends its requests, with clients ready to use: the local pipeline or a deployed stack. */
export interface PipelineTarget {
  /** For messages: "local pipeline", "stack EventPulse in eu-west-1 (profile dev)", an endpoint URL. */
  label: string
  /** The pipeline `local start` runs (`--local`): what to check when it fails is `local status`, not the network. */
  local?: boolean
  region: string
  resources: Partial<Record<ResourceName, string>>
  /** Requests in flight at once: the command's --concurrency, which also sizes the clients' socket pools. */
  concurrency: number
  /** The stack's threshold for `status --stuck`, when it publishes one. */
  stuckAfterSeconds?: number
  /** How long the stack keeps an item's earlier versions (its HistoryRetentionSeconds output), when it says. */
  historyRetentionSeconds?: number
  /** Digest of the item schema the pipeline's processor checks with, when it publishes one. */
  schemaHash?: string
  /** Which role the credentials are for, if one was assumed. */
  roleArn?: string
  /** The role session's name, if a role was assumed (what CloudTrail shows as who). */
  sessionName?: string
  s3: S3Client
  /** Present when the command needs the table. */
  dynamodb?: DynamoDBClient
  /** Present when the command reads the dead-letter queues. */
  sqs?: SQSClient
  /** Present when the command invokes the processor. */
  lambda?: LambdaClient
  /** Present when the command notifies the topic (a change made from the CLI is announced as the pipeline's are). */
  sns?: SNSClient
}

/** What every client of one target shares. */
export interface ClientBasics {
  region: string
  endpoint?: string
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider
  requestHandler: ReturnType<typeof createRequestHandler>
  maxAttempts: number
}

/** The shared HTTP handler for a target: never fewer sockets than the SDK's usual pool. */
export const requestHandlerFor = (concurrency: number) => createRequestHandler({maxSockets: Math.max(concurrency, 16)})

/**
 * S3 client: path-style addressing for custom endpoints (emulators have no per-bucket DNS), and checksums only where S3
 * requires them, so bodies are sent plain rather than in aws-chunked framing that S3-compatible servers may store as
 * is.
 */
export function createS3Client(config: ClientBasics): S3Client {
  return new S3Client({
    ...config,
    forcePathStyle: Boolean(config.endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** A DynamoDB client when the command needs the table (the SDK module is loaded only then). */
export async function dynamoDbClientIf(needed: boolean, config: ClientBasics): Promise<DynamoDBClient | undefined> {
  if (!needed) return undefined
  const {DynamoDBClient} = await import('@aws-sdk/client-dynamodb')
  return new DynamoDBClient(config)
}

/** An SQS client when the command reads the dead-letter queues (the SDK module is loaded only then). */
export async function sqsClientIf(needed: boolean, config: ClientBasics): Promise<SQSClient | undefined> {
  if (!needed) return undefined
  const {SQSClient} = await import('@aws-sdk/client-sqs')
  return new SQSClient(config)
}

/** A Lambda client when the command invokes the processor (the SDK module is loaded only then). */
export async function lambdaClientIf(needed: boolean, config: ClientBasics): Promise<LambdaClient | undefined> {
  if (!needed) return undefined
  const {LambdaClient} = await import('@aws-sdk/client-lambda')
  return new LambdaClient(config)
}

/** An SNS client when the command notifies the topic (the SDK module is loaded only then). */
export async function snsClientIf(needed: boolean, config: ClientBasics): Promise<SNSClient | undefined> {
  if (!needed) return undefined
  const {SNSClient} = await import('@aws-sdk/client-sns')
  return new SNSClient(config)
}

/** A resource the command needs, which the target's resolution has made sure of. */
export function resource(target: PipelineTarget, name: ResourceName): string {
  const value = target.resources[name]
  if (!value) throw usageError(`No ${name} known for ${target.label}.`, `Pass --${RESOURCE_FLAGS[name]}.`)
  return value
}

/**
 * The catalog and history tables of a target, as `replaceVersion` (processor/versions.ts) changes an item: what
 * `quarantine accept` and `items revert` write with, as the processor does.
 */
export function versionStoreOf(target: PipelineTarget, now: () => Date = () => new Date()) {
  if (!target.dynamodb) throw new Error('changing an item needs a target resolved with the tables')
  return {
    dynamodb: target.dynamodb,
    table: resource(target, 'table'),
    historyTable: resource(target, 'historyTable'),
    historyRetentionSeconds: target.historyRetentionSeconds ?? DEFAULT_HISTORY_RETENTION_SECONDS,
    now,
  }
}
