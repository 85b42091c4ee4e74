import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import {type LocalCredentials, newLocalCredentials} from '#local/credentials.js'
import {startDynamoDb, startS3} from '#local/emulators.js'
import {ensureTable} from '#local/pipeline.js'
import {localClients} from '#local/target.js'

export const BUCKETS = {processing: 'ep-processing', quarantine: 'ep-quarantine'}
export const TABLE = 'ep-table'
export const OUTCOMES_TABLE_NAME = 'ep-outcomes'

/**
 * The local pipeline's S3 and DynamoDB, with its buckets and table, but no processor: the tests play its part,
 * and the CLI reaches them through explicit endpoints, bucket and table flags rather than --local.
 */
export interface Emulators {
  s3Endpoint: string
  dynamoEndpoint: string
  s3: S3Client
  dynamodb: DynamoDBClient
  /** The keys they take requests signed with (as the local pipeline's own). */
  credentials: LocalCredentials
  /** Flags that point the CLI at them without --local. */
  flags: string[]
  /** Environment for the CLI: credentials, and no AWS config of the machine's. */
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

export async function startEmulators(): Promise<Emulators> {
  const directory = mkdtempSync(join(tmpdir(), 'ep-emulators-'))
  const credentials = newLocalCredentials()
  const s3Server = await startS3({
    directory: join(directory, 's3'),
    host: '127.0.0.1',
    port: 0,
    credentials: [credentials],
    buckets: Object.values(BUCKETS),
  })
  const dynamoServer = await startDynamoDb({
    path: join(directory, 'dynamodb'),
    host: '127.0.0.1',
    port: 0,
    credentials: [credentials],
  })
  const {s3, dynamodb} = localClients({
    endpoints: {s3: s3Server.endpoint, dynamodb: dynamoServer.endpoint},
    credentials,
  })
  await ensureTable(dynamodb, TABLE, OUTCOMES_TABLE_NAME)
  return {
    s3Endpoint: s3Server.endpoint,
    dynamoEndpoint: dynamoServer.endpoint,
    s3,
    dynamodb,
    credentials,
    flags: [
      `--processing-bucket=${BUCKETS.processing}`,
      `--quarantine-bucket=${BUCKETS.quarantine}`,
      `--table=${TABLE}`,
      `--outcomes-table=${OUTCOMES_TABLE_NAME}`,
    ],
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(directory, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(directory, 'no-credentials'),
    },
    async stop() {
      s3.destroy()
      dynamodb.destroy()
      await s3Server.close()
      await dynamoServer.close()
      rmSync(directory, {recursive: true, force: true})
    },
  }
}
