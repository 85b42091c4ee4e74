import {InvokeCommand, LambdaClient} from '@aws-sdk/client-lambda'
import {SendMessageCommand, SQSClient} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, expect, test} from 'vitest'

import {sqsDeadLetter} from '#processor/dead-letter-queue.js'
import {s3ObjectCreatedEvent} from '#processor/event.js'
import {invokeSelf} from '#processor/invoke-self.js'

// What the processor sends to SQS (the sweep's dead letters) and to Lambda (a batch going on), at the SDK boundary.

const sqs = mockClient(SQSClient)
const lambda = mockClient(LambdaClient)
const savedFunctionName = process.env.AWS_LAMBDA_FUNCTION_NAME
afterEach(() => {
  sqs.reset()
  lambda.reset()
  if (savedFunctionName === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME
  else process.env.AWS_LAMBDA_FUNCTION_NAME = savedFunctionName
})

const event = s3ObjectCreatedEvent({
  account: '123456789012',
  region: 'eu-west-1',
  bucket: 'processing',
  key: 'a.json',
  size: 12,
  etag: 'e1',
})

async function deadLetterAttributes(error: {name: string; message: string}) {
  sqs.on(SendMessageCommand).resolves({MessageId: 'm-1'})
  await sqsDeadLetter(
    new SQSClient({region: 'eu-west-1'}),
    'https://sqs/dlq',
  )({
    event,
    attempts: 3,
    error: {...error, transient: false},
  })
  return sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageAttributes
}

test("a sweep's dead letter says it came from the sweep, and names the error", async () => {
  expect(await deadLetterAttributes({name: 'AccessDenied', message: 'Access Denied'})).toEqual({
    ErrorCode: {DataType: 'String', StringValue: 'AccessDenied'},
    ErrorMessage: {DataType: 'String', StringValue: 'Access Denied'},
    Attempts: {DataType: 'Number', StringValue: '3'},
    Source: {DataType: 'String', StringValue: 'eventpulse-sweep'},
  })
})

test('an error with an empty message or a very long one still fits SQS attributes (no empty values)', async () => {
  const attributes = await deadLetterAttributes({name: 'Error', message: ''})
  expect(attributes?.ErrorMessage).toEqual({DataType: 'String', StringValue: '-'})
  sqs.reset()
  const long = await deadLetterAttributes({name: 'Error', message: 'm'.repeat(5000)})
  expect(long?.ErrorMessage).toEqual({DataType: 'String', StringValue: 'm'.repeat(1000)})
})

test('a batch goes on in an asynchronous invocation of the same function, with the same event', async () => {
  lambda.on(InvokeCommand).resolves({StatusCode: 202})
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'EventPulse-Processor'
  await invokeSelf(event, {region: 'eu-west-1'})
  expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input)).toEqual([
    {FunctionName: 'EventPulse-Processor', InvocationType: 'Event', Payload: JSON.stringify(event)},
  ])
})

test('without its function name the processor cannot go on: it fails (the retry goes on), invoking nothing', async () => {
  lambda.on(InvokeCommand).resolves({StatusCode: 202})
  delete process.env.AWS_LAMBDA_FUNCTION_NAME
  await expect(invokeSelf(event, {region: 'eu-west-1'})).rejects.toThrow(
    'The processor needs the environment variable AWS_LAMBDA_FUNCTION_NAME',
  )
  expect(lambda.commandCalls(InvokeCommand)).toEqual([])
})
