import {SendMessageCommand, type SQSClient} from '@aws-sdk/client-sqs'

import type {SweepDeadLetter} from './sweep.js'

/**
 * Sends the event of an object the sweep gave up on to the processor's dead-letter queue, shaped like the messages
 * Lambda itself puts there for failed invocations (the event as the body, ErrorCode and ErrorMessage attributes), so a
 * redrive (re-invoking with the body) and `dead-letters list` treat both alike.
 */
export function sqsDeadLetter(sqs: SQSClient, queueUrl: string): (letter: SweepDeadLetter) => Promise<void> {
  return async (letter) => {
    const text = (value: string) => ({DataType: 'String', StringValue: value.slice(0, 1000) || '-'})
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(letter.event),
        MessageAttributes: {
          ErrorCode: text(letter.error.name),
          ErrorMessage: text(letter.error.message),
          Attempts: {DataType: 'Number', StringValue: String(letter.attempts)},
          Source: text('eventpulse-sweep'),
        },
      }),
    )
  }
}
