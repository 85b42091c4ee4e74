import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import {createS3Client, type PipelineTarget, requestHandlerFor} from '#aws/clients.js'
import {LOCAL_CREDENTIALS, LOCAL_ROLE_CREDENTIALS, type PipelineRole} from '#aws/credentials.js'
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

/**
 * Clients for the local emulators: dummy keys (the role's, when one is given: LOCAL_ROLE_CREDENTIALS), no STS, nothing
 * of the user's AWS configuration.
 */
export function localClients(
  endpoints: {s3: string; dynamodb: string},
  options: {maxAttempts?: number; concurrency?: number; role?: PipelineRole} = {},
): LocalClients {
  const basics = {
    region: LOCAL_RESOURCES.region,
    credentials: options.role ? LOCAL_ROLE_CREDENTIALS[options.role] : LOCAL_CREDENTIALS,
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
  | 'processingBucket'
  | 'quarantineBucket'
  | 'table'
  | 'outcomesTable'
  | 'historyTable'
  | 'schemaHash'
>

/**
 * The target for a local pipeline: the one `local start` runs (`--local`), or one running in this process (the demo,
 * tests), whose clients can be passed in.
 */
export function localTarget(
  pipeline: LocalPipelineAddress,
  options: {label?: string; concurrency?: number; clients?: LocalClients; role?: PipelineRole} = {},
): PipelineTarget {
  const concurrency = options.concurrency ?? 16
  const {processingBucket, quarantineBucket, table, outcomesTable, historyTable} = pipeline
  return {
    label: options.label ?? 'local pipeline',
    region: pipeline.region,
    concurrency,
    schemaHash: pipeline.schemaHash,
    resources: {processingBucket, quarantineBucket, table, outcomesTable, historyTable},
    ...(options.clients ?? localClients(pipeline.endpoints, {concurrency, role: options.role})),
  }
}
