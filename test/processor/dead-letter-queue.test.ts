import {SendMessageCommand, SQSClient} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {describe, expect, it} from 'vitest'

import {sqsDeadLetter} from '#processor/dead-letter-queue.js'
import {s3ObjectCreatedEvent} from '#processor/event.js'

describe('the sweep giving up on an object, on AWS', () => {
  it("sends the object's event to the dead-letter queue as Lambda would, with the error as attributes", async () => {
    const sqs = mockClient(SQSClient)
    sqs.on(SendMessageCommand).resolves({MessageId: 'm-1'})
    const event = s3ObjectCreatedEvent({
      account: '123456789012',
      region: 'eu-west-1',
      bucket: 'processing',
      key: 'a b.json',
      size: 12,
      etag: 'e'.repeat(32),
    })
    const send = sqsDeadLetter(new SQSClient({region: 'eu-west-1'}), 'https://sqs.eu-west-1.amazonaws.com/1/dlq')
    await send({event, attempts: 3, error: {name: 'AccessDenied', message: 'no', transient: false}})
    const [call] = sqs.commandCalls(SendMessageCommand)
    expect(call.args[0].input.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/1/dlq')
    expect(JSON.parse(call.args[0].input.MessageBody!)).toEqual(event)
    expect(call.args[0].input.MessageAttributes).toMatchObject({
      ErrorCode: {DataType: 'String', StringValue: 'AccessDenied'},
      ErrorMessage: {DataType: 'String', StringValue: 'no'},
      Attempts: {DataType: 'Number', StringValue: '3'},
    })
    sqs.restore()
  })
})
