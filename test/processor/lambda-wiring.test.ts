import {CreateBucketCommand} from '@aws-sdk/client-s3'
import {InvokeCommand, LambdaClient} from '@aws-sdk/client-lambda'
import {PublishCommand, SNSClient} from '@aws-sdk/client-sns'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeAll, expect, test, vi} from 'vitest'

import {METRICS, PROCESSOR_ENV} from '#contract/pipeline-contract.js'
import {localEnvironment} from '#local/env.js'
import {putWithEvent, removeDir, startTestPipeline, type TestPipeline} from './helpers.js'

// lambda/processor.ts as the Lambda runtime loads it (environment set first), against the local S3 and DynamoDB and
// SNS at the SDK boundary: its Powertools logger prints the handler's one JSON line per object, and its metrics one
// embedded-metric-format document per invocation (and one per quarantine reason), on stdout.

const bucket = 'lambda-wiring'
let t: TestPipeline
const sns = mockClient(SNSClient)
const lambda = mockClient(LambdaClient)
const savedEnv = {...process.env}

beforeAll(async () => {
  t = await startTestPipeline()
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  const {state} = t.pipeline
  Object.assign(process.env, {
    ...localEnvironment(state),
    [PROCESSOR_ENV.processingBucket]: bucket,
    [PROCESSOR_ENV.quarantineBucket]: state.quarantineBucket,
    [PROCESSOR_ENV.table]: state.table,
    [PROCESSOR_ENV.outcomesTable]: state.outcomesTable,
    [PROCESSOR_ENV.historyTable]: 'eventpulse-history',
    [PROCESSOR_ENV.historyRetentionSeconds]: '86400',
    [PROCESSOR_ENV.topicArn]: 'arn:aws:sns:us-east-1:123456789012:outcomes',
    [PROCESSOR_ENV.deadLetterQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/failed',
    AWS_LAMBDA_FUNCTION_NAME: 'EventPulse-Processor',
  })
  lambda.on(InvokeCommand).resolves({StatusCode: 202})
  sns.on(PublishCommand).resolves({MessageId: 'm-1'})
})

afterAll(async () => {
  process.env = savedEnv
  sns.restore()
  lambda.restore()
  await t?.pipeline.stop()
  await removeDir(t?.dataDir)
})

const eventFor = (key: string, body: string) => putWithEvent(t.pipeline.s3, bucket, key, body, t.pipeline.state.region)

/** Runs the handler once and returns the JSON lines it printed on stdout and stderr. */
async function printed(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = []
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean))
    return true
  }
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture)
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture)
  try {
    await run()
  } finally {
    stdout.mockRestore()
    stderr.mockRestore()
  }
  // Every line is one JSON object, as CloudWatch needs for the metrics and Logs Insights for the fields.
  return lines.map((line) => JSON.parse(line))
}

const emf = (lines: Record<string, unknown>[]) => lines.filter((line) => '_aws' in line)

test('one processed event: one log line with the fields as before, one EMF document with its outcome', async () => {
  const {handler} = await import('../../lambda/processor.js')
  const event = await eventFor(
    'stored.json',
    JSON.stringify({ArtistID: 'Wired', ItemID: 'TRACK#One', EntityType: 'Track', Duration: 200}),
  )
  const lines = await printed(() => handler(event))

  expect(lines.filter((line) => !('_aws' in line))).toEqual([
    expect.objectContaining({
      level: 'INFO',
      service: METRICS.service,
      bucket,
      key: 'stored.json',
      outcome: 'stored',
      item: {ArtistID: 'Wired', ItemID: 'TRACK#One'},
      durationMs: expect.any(Number),
    }),
  ])
  expect(emf(lines)).toEqual([
    {
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: METRICS.namespace,
            Dimensions: [[METRICS.dimensions.service, METRICS.dimensions.bucket]],
            Metrics: [{Name: METRICS.names.stored, Unit: 'Count'}],
          },
        ],
      },
      [METRICS.dimensions.service]: METRICS.service,
      [METRICS.dimensions.bucket]: bucket,
      [METRICS.names.stored]: 1,
    },
  ])
  expect(sns.commandCalls(PublishCommand)).toHaveLength(1)
})

test('a quarantined upload: its line keeps the message and reason; its metric has the reason as a dimension', async () => {
  const {handler} = await import('../../lambda/processor.js')
  const lines = await printed(async () => handler(await eventFor('broken.json', '{"ArtistID": ')))
  expect(lines.filter((line) => !('_aws' in line))).toEqual([
    expect.objectContaining({
      level: 'INFO',
      outcome: 'quarantined',
      reason: 'invalid-json',
      message: expect.stringContaining('JSON'),
    }),
  ])
  expect(emf(lines)).toEqual([
    expect.objectContaining({
      _aws: expect.objectContaining({
        CloudWatchMetrics: [
          expect.objectContaining({
            Dimensions: [[METRICS.dimensions.service, METRICS.dimensions.bucket, METRICS.dimensions.reason]],
            Metrics: [{Name: METRICS.names.quarantined, Unit: 'Count'}],
          }),
        ],
      }),
      [METRICS.dimensions.reason]: 'invalid-json',
      [METRICS.names.quarantined]: 1,
    }),
  ])
})

test('an invocation that fails still publishes its metrics: the failed try is counted', async () => {
  const {handler} = await import('../../lambda/processor.js')
  const event = await eventFor('failing.json', '{}')
  sns.on(PublishCommand).rejects(Object.assign(new Error('SNS is down'), {name: 'InternalError'}))
  try {
    let failure: unknown
    const lines = await printed(() => handler(event).catch((error: unknown) => (failure = error)))
    expect(failure).toMatchObject({message: 'SNS is down'})
    expect(lines).toContainEqual(expect.objectContaining({level: 'ERROR', outcome: 'failed', key: 'failing.json'}))
    expect(emf(lines)).toContainEqual(expect.objectContaining({[METRICS.names.failed]: 1}))
  } finally {
    sns.on(PublishCommand).resolves({MessageId: 'm-1'})
  }
})

test('a batch that runs out of time goes on at once: the function invokes itself with the same event, asynchronously', async () => {
  const {handler} = await import('../../lambda/processor.js')
  // No time left: the batch starts no line (a record started now could outlive the invocation), and must go on.
  const lines = Array.from({length: 1001}, (_, i) =>
    JSON.stringify({ArtistID: 'Wired', ItemID: `TRACK#${i}`, EntityType: 'Track', Duration: i}),
  )
  const event = await eventFor('catalog.ndjson', lines.join('\n'))
  const context = {getRemainingTimeInMillis: () => 0, invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:x'}
  lambda.resetHistory()
  await printed(async () =>
    expect(await handler(event, context)).toEqual([expect.objectContaining({outcome: 'continuing', nextLine: 1})]),
  )
  expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input)).toEqual([
    {FunctionName: 'EventPulse-Processor', InvocationType: 'Event', Payload: JSON.stringify(event)},
  ])

  // That invocation finishes the batch, and asks for no other.
  lambda.resetHistory()
  await printed(async () =>
    expect(await handler(event)).toEqual([
      expect.objectContaining({outcome: 'batch', counts: expect.objectContaining({stored: 1001})}),
    ]),
  )
  expect(lambda.commandCalls(InvokeCommand)).toEqual([])
}, 60_000)
