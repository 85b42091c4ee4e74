import {BatchGetItemCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import type {AwsClientStub} from 'aws-sdk-client-mock'

/** Answers each BatchGetItem on `catalog` with the items it asks for, as stored: every record found exactly so. */
export const storesEverything = (dynamodb: AwsClientStub<DynamoDBClient>) =>
  dynamodb.on(BatchGetItemCommand).callsFake((input) => ({Responses: {catalog: input.RequestItems.catalog.Keys}}))

/** A stack's target whose clients the test mocks (mockClient), with the table `catalog`. */
export const mockedStackTarget = () => ({
  label: 'stack',
  region: 'us-east-1',
  concurrency: 4,
  resources: {processingBucket: 'processing', table: 'catalog'},
  s3: new S3Client({region: 'us-east-1'}),
  dynamodb: new DynamoDBClient({region: 'us-east-1'}),
})
