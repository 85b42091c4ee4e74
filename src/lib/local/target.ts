import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import {createS3Client, type PipelineTarget, requestHandlerFor} from '#aws/clients.js'
import type {PipelineRole} from '#aws/credentials.js'
import type {LocalCredentials} from './credentials.js'
import type {LocalPipelineState} from './state.js'

/** Names of the local resources (the deployed stack has its own, from CloudFormation). */
export const LOCAL_RESOURCES = {
  region: 'us-east-1',
  processingBucket: 'eventpulse-processing',
  quarantineBucket: 'eventpulse-quarantine',
  table: 'eventpulse-catalog',
  outcomesTable: 'eventpulse-outcomes',
  historyTable: 'eventpulse-history',
} as const

export interface LocalClients {
  s3: S3Client
  dynamodb: DynamoDBClient
}

/** Where the local emulators listen, and one pair of keys they take requests signed with. */
export interface LocalEmulatorAddress {
  endpoints: {s3: string; dynamodb: string}
  credentials: LocalCredentials
}

/** Clients for the local emulators: the address's keys, no STS, nothing of the user's AWS configuration. */
export function localClients(
  {endpoints, credentials}: LocalEmulatorAddress,
  options: {maxAttempts?: number; concurrency?: number} = {},
): LocalClients {
  const basics = {
    region: LOCAL_RESOURCES.region,
    credentials,
    requestHandler: requestHandlerFor(options.concurrency ?? 64),
    maxAttempts: options.maxAttempts ?? 3,
  }
  return {
    s3: createS3Client({...basics, endpoint: endpoints.s3}),
    dynamodb: new DynamoDBClient({...basics, endpoint: endpoints.dynamodb}),
  }
}

type LocalPipelineAddress = Pick<
  LocalPipelineState,
  | 'region'
  | 'endpoints'
  | 'credentials'
  | 'roleCredentials'
  | 'processingBucket'
  | 'quarantineBucket'
  | 'table'
  | 'outcomesTable'
  | 'historyTable'
  | 'schemaHash'
>

/**
 * The target for a local pipeline: the one `local start` runs (`--local`), or one running in this process (the demo,
 * tests), whose clients can be passed in. It signs with the role's keys when a role is given (the local S3 lets only
 * the allowed roles write replacements, as IAM does), else with the pipeline's own.
 */
export function localTarget(
  pipeline: LocalPipelineAddress,
  options: {label?: string; concurrency?: number; clients?: LocalClients; role?: PipelineRole} = {},
): PipelineTarget {
  const concurrency = options.concurrency ?? 16
  const {processingBucket, quarantineBucket, table, outcomesTable, historyTable} = pipeline
  const credentials = options.role ? pipeline.roleCredentials[options.role] : pipeline.credentials
  return {
    label: options.label ?? 'local pipeline',
    region: pipeline.region,
    concurrency,
    schemaHash: pipeline.schemaHash,
    resources: {processingBucket, quarantineBucket, table, outcomesTable, historyTable},
    ...(options.clients ?? localClients({endpoints: pipeline.endpoints, credentials}, {concurrency})),
  }
}
