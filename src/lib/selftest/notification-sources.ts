import {readFile} from 'node:fs/promises'

import {DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient} from '@aws-sdk/client-sqs'

import type {Notification} from '#processor/notifier.js'
import type {ReceivedNotification} from './canaries.js'

/** Where selftest hears of its canaries: the local outbox, or the stack's selftest queue. */
export interface NotificationSource {
  /** What came for keys under `prefix` since the last call, waiting up to `waitMs` when nothing did. */
  receive(prefix: string, waitMs: number): Promise<ReceivedNotification[]>
  /** Where it listens, for messages. */
  label: string
}

/** The local pipeline's outbox, one notification a line; each call returns the lines it has not returned before. */
export function outboxSource(file: string): NotificationSource {
  const seen = new Set<string>()
  return {
    label: 'the outbox',
    async receive(prefix, waitMs) {
      const text = await readFile(file, 'utf8').catch(() => '')
      const fresh = text
        .split('\n')
        .filter((line) => line.includes(prefix) && !seen.has(line))
        .flatMap((line) => {
          seen.add(line)
          try {
            return [{notification: JSON.parse(line) as Notification}]
          } catch {
            return []
          }
        })
        .filter(({notification}) => notification.sourceKey?.startsWith(prefix))
      if (fresh.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 250)))
      return fresh
    },
  }
}

/** SQS long polls at most 20 seconds. */
const MAX_WAIT_SECONDS = 20

/**
 * The stack's selftest queue (raw delivery: the body is the notification, the attributes SNS's). Only this run's
 * messages are deleted once read; another run's come back to it after a short visibility timeout.
 */
export function queueSource(sqs: SQSClient, queueUrl: string): NotificationSource {
  return {
    label: 'the selftest queue',
    async receive(prefix, waitMs) {
      const {Messages = []} = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(waitMs / 1000))),
          VisibilityTimeout: 5,
          MessageAttributeNames: ['All'],
        }),
      )
      const ours = Messages.flatMap((message) => {
        try {
          const notification = JSON.parse(message.Body ?? '') as Notification
          if (!notification.sourceKey?.startsWith(prefix)) return []
          const attributes = Object.fromEntries(
            Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
          )
          return [{message, received: {notification, attributes}}]
        } catch {
          return []
        }
      })
      if (ours.length > 0)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ours.map(({message}, index) => ({Id: String(index), ReceiptHandle: message.ReceiptHandle})),
          }),
        )
      return ours.map(({received}) => received)
    },
  }
}
