import {mkdtempSync, rmSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CreateTableCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import dynalite from 'dynalite'
import S3rver from 's3rver'

import {ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from '../../../src/lib/pipeline-contract.js'

export const BUCKETS = {processing: 'ep-processing', quarantine: 'ep-quarantine'}
export const TABLE = 'ep-table'
// s3rver accepts only its own fixed keys; dynalite accepts any.
export const CREDENTIALS = {accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER'}

/** s3rver and dynalite on loopback ports, with the pipeline's buckets and table (the processor's part is played by the tests). */
export interface Emulators {
  s3Endpoint: string
  dynamoEndpoint: string
  s3: S3Client
  dynamodb: DynamoDBClient
  /** Flags that point the CLI at them without --local. */
  flags: string[]
  /** Environment for the CLI: credentials, and no AWS config of the machine's. */
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

export async function startEmulators(): Promise<Emulators> {
  const directory = mkdtempSync(join(tmpdir(), 'ep-s3rver-'))
  const s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{name: BUCKETS.processing}, {name: BUCKETS.quarantine}],
  } as ConstructorParameters<typeof S3rver>[0])
  const s3Address = (await s3rver.run()) as unknown as AddressInfo
  const dynamoServer = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})
  await new Promise<void>((resolve) => dynamoServer.listen(0, '127.0.0.1', resolve))
  const dynamoAddress = dynamoServer.address() as AddressInfo
  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`
  const dynamoEndpoint = `http://127.0.0.1:${dynamoAddress.port}`
  const region = 'us-east-1'
  const s3 = new S3Client({
    region,
    endpoint: s3Endpoint,
    credentials: CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const dynamodb = new DynamoDBClient({region, endpoint: dynamoEndpoint, credentials: CREDENTIALS})
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        {AttributeName: TABLE_KEY.partition, AttributeType: 'S'},
        {AttributeName: TABLE_KEY.sort, AttributeType: 'S'},
        {AttributeName: ITEM_METADATA.sourceKey, AttributeType: 'S'},
      ],
      KeySchema: [
        {AttributeName: TABLE_KEY.partition, KeyType: 'HASH'},
        {AttributeName: TABLE_KEY.sort, KeyType: 'RANGE'},
      ],
      GlobalSecondaryIndexes: [
        {IndexName: SOURCE_KEY_INDEX, KeySchema: [{AttributeName: ITEM_METADATA.sourceKey, KeyType: 'HASH'}], Projection: {ProjectionType: 'ALL'}},
      ],
    }),
  )
  return {
    s3Endpoint,
    dynamoEndpoint,
    s3,
    dynamodb,
    flags: [`--processing-bucket=${BUCKETS.processing}`, `--quarantine-bucket=${BUCKETS.quarantine}`, `--table=${TABLE}`],
    env: {
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: region,
      AWS_CONFIG_FILE: join(directory, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(directory, 'no-credentials'),
    },
    async stop() {
      s3.destroy()
      dynamodb.destroy()
      await s3rver.close()
      await new Promise((resolve) => dynamoServer.close(resolve))
      rmSync(directory, {recursive: true, force: true})
    },
  }
}
