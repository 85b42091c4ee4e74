import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import {SNSClient} from '@aws-sdk/client-sns'
import {SQSClient} from '@aws-sdk/client-sqs'

import {DEFAULT_STUCK_AFTER_SECONDS, PROCESSOR_ENV} from '#contract/pipeline-contract.js'
import {sqsDeadLetter} from '#processor/dead-letter-queue.js'
import {createProcessorHandler} from '#processor/handler.js'
import {SnsNotifier} from '#processor/notifier.js'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`The processor needs the environment variable ${name}`)
  return value
}

// A call that hangs (5 s without a byte) becomes a timeout the SDK retries with backoff: 4 attempts stay well inside
// the function's 60 s timeout, and a timed-out invocation is retried whole anyway (every step is idempotent).
const clientConfig = {maxAttempts: 4, requestHandler: {connectionTimeout: 3_000, requestTimeout: 5_000}}

export const handler = createProcessorHandler({
  s3: new S3Client(clientConfig),
  dynamodb: new DynamoDBClient(clientConfig),
  notifier: new SnsNotifier(new SNSClient(clientConfig), required(PROCESSOR_ENV.topicArn)),
  processingBucket: required(PROCESSOR_ENV.processingBucket),
  quarantineBucket: required(PROCESSOR_ENV.quarantineBucket),
  table: required(PROCESSOR_ENV.table),
  outcomesTable: required(PROCESSOR_ENV.outcomesTable),
  sweep: {
    stuckAfterSeconds: Number(process.env[PROCESSOR_ENV.stuckAfterSeconds] ?? DEFAULT_STUCK_AFTER_SECONDS),
    region: required('AWS_REGION'),
    deadLetter: sqsDeadLetter(new SQSClient(clientConfig), required(PROCESSOR_ENV.deadLetterQueueUrl)),
  },
})
