import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import {SNSClient} from '@aws-sdk/client-sns'

import {PROCESSOR_ENV} from '../src/lib/pipeline-contract.js'
import {createObjectHandler} from '../src/lib/processor/handler.js'
import {SnsNotifier} from '../src/lib/processor/notifier.js'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`The processor needs the environment variable ${name}`)
  return value
}

// A call that hangs becomes a timeout the SDK retries (with its backoff), well inside the function's own timeout.
const clientConfig = {maxAttempts: 4, requestHandler: {connectionTimeout: 3_000, requestTimeout: 10_000}}

export const handler = createObjectHandler({
  s3: new S3Client(clientConfig),
  dynamodb: new DynamoDBClient(clientConfig),
  notifier: new SnsNotifier(new SNSClient(clientConfig), required(PROCESSOR_ENV.topicArn)),
  processingBucket: required(PROCESSOR_ENV.processingBucket),
  quarantineBucket: required(PROCESSOR_ENV.quarantineBucket),
  table: required(PROCESSOR_ENV.table),
})
