import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'

import {type PipelineTarget, resource} from '#aws/clients.js'
import type {DeadLetter, DeadLetterPlace, DeadLetterSource, FoundLetter, PlaceSummary} from './letters.js'

/*
 * SQS has no peek: a message is read by receiving it, which hides it from other readers for the visibility timeout.
 * A listing receives everything (ten at a time), keeping what it received hidden so that the next receive returns
 * others, then makes it all visible again at once: nothing is consumed. The timeout is short, so that messages a
 * listing cut short (Ctrl-C, a crash) come back by themselves soon. `clear` removes messages with the receipt handles
 * of a fresh listing of its own, made after the question was answered.
 */

/** Seconds a received message stays hidden while a listing goes on. */
const VISIBILITY_TIMEOUT_SECONDS = 30
/** The most messages one listing reads from a queue; beyond it, the listing says it is incomplete. */
const MAX_MESSAGES_PER_QUEUE = 1000
/** Receives in a row that bring nothing new before the queue counts as read (short polls sample only some servers). */
const RECEIVES_WITH_NOTHING_NEW = 3
/** SQS batch calls take at most ten entries. */
const BATCH = 10

/** The stack's two dead-letter queues, from its outputs (or --dead-letter-queue-url and the processor's). */
export function queueSource(target: PipelineTarget): DeadLetterSource {
  const sqs = target.sqs!
  const queues: {place: DeadLetterPlace; url: string}[] = [
    {place: 'undelivered-events', url: resource(target, 'deadLetterQueueUrl')},
    {place: 'failed-invocations', url: resource(target, 'processorDeadLetterQueueUrl')},
  ]
  return {
    async read() {
      const read = await Promise.all(
        queues.map(({place, url}) =>
          holding(sqs, url, async (held) => ({
            summary: {place, where: url, ...(await receiveAll(sqs, url, held))},
            letters: [...held.values()].map((message) => foundLetter(place, message)),
          })),
        ),
      )
      return {places: read.map((queue) => queue.summary), letters: read.flatMap((queue) => queue.letters)}
    },

    async remove(letters: DeadLetter[]) {
      const removed: string[] = []
      const failed: {id: string; message: string}[] = []
      for (const {place, url} of queues) {
        const ids = new Set(letters.filter((letter) => letter.place === place).map((letter) => letter.id))
        if (ids.size === 0) continue
        await holding(sqs, url, async (held) => {
          await receiveAll(sqs, url, held)
          const doomed = [...held.values()].filter((message) => ids.has(message.MessageId!))
          for (let start = 0; start < doomed.length; start += BATCH) {
            const batch = doomed.slice(start, start + BATCH)
            const {Successful = [], Failed = []} = await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: url,
                Entries: batch.map((message, index) => ({Id: String(index), ReceiptHandle: message.ReceiptHandle})),
              }),
            )
            for (const {Id} of Successful) {
              const id = batch[Number(Id)].MessageId!
              held.delete(id)
              removed.push(id)
            }
            for (const {Id, Message: why, Code} of Failed)
              failed.push({id: batch[Number(Id)].MessageId!, message: why ?? Code ?? 'not deleted'})
          }
        })
      }
      return {removed, failed}
    },
  }
}

/** Runs `use` with the messages it receives into `held`, then makes every one still held visible again. */
async function holding<T>(sqs: SQSClient, url: string, use: (held: Map<string, Message>) => Promise<T>): Promise<T> {
  const held = new Map<string, Message>()
  try {
    return await use(held)
  } finally {
    await release(sqs, url, [...held.values()])
  }
}

/** Receives until nothing new comes (or the bound), keeping each message's latest receipt handle. */
async function receiveAll(
  sqs: SQSClient,
  url: string,
  held: Map<string, Message>,
): Promise<Omit<PlaceSummary, 'place' | 'where'>> {
  const {Attributes: counts = {}} = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  )
  const approximate = Number(counts.ApproximateNumberOfMessages ?? 0)
  const inFlight = Number(counts.ApproximateNumberOfMessagesNotVisible ?? 0)
  let nothingNew = 0
  while (nothingNew < RECEIVES_WITH_NOTHING_NEW && held.size < MAX_MESSAGES_PER_QUEUE) {
    const {Messages: messages = []} = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: BATCH,
        VisibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    )
    const before = held.size
    for (const message of messages) if (message.MessageId) held.set(message.MessageId, message)
    nothingNew = held.size > before ? 0 : nothingNew + 1
  }
  const bounded = held.size >= MAX_MESSAGES_PER_QUEUE
  return {listed: held.size, approximate, inFlight, complete: !bounded && held.size >= approximate}
}

/**
 * Makes the messages visible again at once. A message this fails for (deleted meanwhile, say) needs nothing: it
 * comes back by itself when its visibility timeout ends.
 */
async function release(sqs: SQSClient, url: string, messages: Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += BATCH)
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: messages
          .slice(start, start + BATCH)
          .map((message, index) => ({Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0})),
      }),
    )
}

/**
 * A message as EventBridge, Lambda or the sweep dead-lettered it: the event as the body, and the error as message
 * attributes (EventBridge: ERROR_CODE, ERROR_MESSAGE; Lambda: ErrorCode, ErrorMessage; the sweep adds Attempts).
 */
function foundLetter(place: DeadLetterPlace, message: Message): FoundLetter {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue
  const sent = Number(message.Attributes?.SentTimestamp)
  const attempts = Number(attribute('Attempts'))
  return {
    place,
    id: message.MessageId!,
    body: parseBody(message.Body),
    error: {
      code: attribute('ERROR_CODE') ?? attribute('ErrorCode'),
      message: attribute('ERROR_MESSAGE') ?? attribute('ErrorMessage'),
    },
    at: sent > 0 ? new Date(sent) : undefined,
    attempts: attempts > 0 ? attempts : undefined,
  }
}

function parseBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '')
  } catch {
    return undefined
  }
}
