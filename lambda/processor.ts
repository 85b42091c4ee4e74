import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import {SNSClient} from '@aws-sdk/client-sns'
import {SQSClient} from '@aws-sdk/client-sqs'
import {Logger} from '@aws-lambda-powertools/logger'
import {Metrics, MetricUnit} from '@aws-lambda-powertools/metrics'

import {DEFAULT_STUCK_AFTER_SECONDS, METRICS, PROCESSOR_ENV} from '#contract/pipeline-contract.js'
import {sqsDeadLetter} from '#processor/dead-letter-queue.js'
import {createProcessorHandler, type LogLine} from '#processor/handler.js'
import type {OutcomeMetrics} from '#processor/metrics.js'
import {SnsNotifier} from '#processor/notifier.js'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`The processor needs the environment variable ${name}`)
  return value
}

// A call that hangs (5 s without a byte) becomes a timeout the SDK retries with backoff: 4 attempts stay well inside
// the function's 60 s timeout, and a timed-out invocation is retried whole anyway (every step is idempotent).
const clientConfig = {maxAttempts: 4, requestHandler: {connectionTimeout: 3_000, requestTimeout: 5_000}}

const processingBucket = required(PROCESSOR_ENV.processingBucket)

// Each line is one JSON object, straight to stdout/stderr (not through Lambda's console, which prefixes a time and
// request id), so Logs Insights can filter on every field. The level comes from POWERTOOLS_LOG_LEVEL or the function's
// own log level setting (INFO by default).
const logger = new Logger({serviceName: METRICS.service})

/**
 * A line of the handler as a Powertools log item: its level becomes the logger's method, and the message is the
 * line's own (a quarantined upload's) or else its outcome; every other field stays as it is, at the top level.
 */
function log({level, message, ...fields}: LogLine): void {
  const method = level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'info'
  logger[method]({message: String(message ?? fields.outcome ?? (fields.sweep ? 'sweep' : 'processor')), ...fields})
}

const metrics = new Metrics({
  namespace: METRICS.namespace,
  serviceName: METRICS.service,
  defaultDimensions: {[METRICS.dimensions.bucket]: processingBucket},
})

const outcomeMetrics: OutcomeMetrics = {
  count(outcome, amount, reason) {
    const name = METRICS.names[outcome]
    // Only Quarantined has the reason as a dimension: a document of its own; the rest share the invocation's.
    if (reason)
      metrics.singleMetric().addDimension(METRICS.dimensions.reason, reason).addMetric(name, MetricUnit.Count, amount)
    else metrics.addMetric(name, MetricUnit.Count, amount)
  },
}

const processor = createProcessorHandler({
  s3: new S3Client(clientConfig),
  dynamodb: new DynamoDBClient(clientConfig),
  notifier: new SnsNotifier(new SNSClient(clientConfig), required(PROCESSOR_ENV.topicArn)),
  processingBucket,
  quarantineBucket: required(PROCESSOR_ENV.quarantineBucket),
  table: required(PROCESSOR_ENV.table),
  outcomesTable: required(PROCESSOR_ENV.outcomesTable),
  historyTable: required(PROCESSOR_ENV.historyTable),
  historyRetentionSeconds: Number(required(PROCESSOR_ENV.historyRetentionSeconds)),
  log,
  metrics: outcomeMetrics,
  // A batch that ran out of time goes on at once in a new invocation of the same event.
  continueLater: async (event) => (await import('#processor/invoke-self.js')).invokeSelf(event, clientConfig),
  sweep: {
    stuckAfterSeconds: Number(process.env[PROCESSOR_ENV.stuckAfterSeconds] ?? DEFAULT_STUCK_AFTER_SECONDS),
    region: required('AWS_REGION'),
    deadLetter: sqsDeadLetter(new SQSClient(clientConfig), required(PROCESSOR_ENV.deadLetterQueueUrl)),
  },
})

/** The processor, with the invocation's metrics published as it ends, whether it succeeded or threw. */
export const handler: typeof processor = async (input, context) => {
  try {
    return await processor(input, context)
  } finally {
    // Powertools warns about an empty flush (a sweep that found nothing): flush only what there is.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics()
  }
}
