import {randomUUID} from 'node:crypto'

import {ListObjectsCommand, S3Client} from '@aws-sdk/client-s3'
import {
  ChangeMessageVisibilityBatchCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandInput,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import {deadLettersTargetRequest} from '#cli/dead-letters-flags.js'
import {STACK_OUTPUTS, SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {clearDeadLetters} from '#dead-letters/clear.js'
import {incompleteLines, listDeadLetters} from '#dead-letters/letters.js'
import {deadLetterSource} from '#dead-letters/source.js'
import {s3ObjectCreatedEvent} from '#processor/event.js'
import {resolveTarget} from '#target/resolve-target.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'

// `dead-letters list|clear` against a deployed stack, at the SDK boundary: the queues are fakes that behave as SQS
// does for a reader (a received message is hidden until its visibility timeout ends or is set to 0, a receipt handle
// is replaced by each receive, and a delete needs the latest one), so that "nothing consumed" and "the handles of a
// fresh read" are checked against the queue's state, not against one expected sequence of calls.

const stack = mockDeployedStack()
const s3 = mockClient(S3Client)
const sqs = mockClient(SQSClient)

const URLS = {
  events: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-UndeliveredEvents',
  processor: 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-FailedInvocations',
}
const BUCKET = 'eventpulse-processing-abc'
const OUTPUTS = {
  [STACK_OUTPUTS.processingBucket]: BUCKET,
  [STACK_OUTPUTS.quarantineAdminRoleArn]: 'arn:aws:iam::123456789012:role/EventPulse-QuarantineAdmin',
  [STACK_OUTPUTS.deadLetterQueueUrl]: URLS.events,
  [STACK_OUTPUTS.processorDeadLetterQueueUrl]: URLS.processor,
}

interface FakeMessage {
  id: string
  body: string
  attributes: Record<string, MessageAttributeValue>
  sentAt: number
  /** Hidden until then (ms since the epoch). */
  visibleAt: number
  handle?: string
}

/** One SQS standard queue as a reader sees it. */
class FakeQueue {
  messages: FakeMessage[] = []
  private receives = 0
  /** Someone else's listing holds this many messages invisible (they count as not visible). */
  approximateExtra = 0

  add(body: string, attributes: Record<string, string | number>, ageSeconds = 3600): string {
    const id = randomUUID()
    this.messages.push({
      id,
      body,
      attributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [
          name,
          typeof value === 'number'
            ? {DataType: 'Number', StringValue: String(value)}
            : {DataType: 'String', StringValue: value},
        ]),
      ),
      sentAt: Date.now() - ageSeconds * 1000,
      visibleAt: 0,
    })
    return id
  }

  visible = () => this.messages.filter((message) => message.visibleAt <= Date.now())

  receive(input: ReceiveMessageCommandInput) {
    // Ten at most, and not always the first ones: short polls sample.
    const batch = this.visible()
      .sort(() => Math.random() - 0.5)
      .slice(0, input.MaxNumberOfMessages ?? 1)
    for (const message of batch) {
      message.visibleAt = Date.now() + (input.VisibilityTimeout ?? 30) * 1000
      message.handle = `${message.id}/receipt-${++this.receives}`
    }
    return {
      Messages: batch.map((message) => ({
        MessageId: message.id,
        ReceiptHandle: message.handle,
        Body: message.body,
        Attributes: {SentTimestamp: String(message.sentAt)},
        MessageAttributes: message.attributes,
      })),
    }
  }

  changeVisibility(input: ChangeMessageVisibilityBatchCommandInput) {
    for (const entry of input.Entries ?? []) {
      const message = this.messages.find((m) => m.handle === entry.ReceiptHandle)
      if (message) message.visibleAt = Date.now() + (entry.VisibilityTimeout ?? 0) * 1000
    }
    return {Successful: (input.Entries ?? []).map(({Id}) => ({Id})), Failed: []}
  }

  /** Deletes only with the latest receipt handle of a message (an older one would leave it in place). */
  delete(input: DeleteMessageBatchCommandInput) {
    const entries = input.Entries ?? []
    this.messages = this.messages.filter((m) => !entries.some((entry) => entry.ReceiptHandle === m.handle))
    return {Successful: entries.map(({Id}) => ({Id})), Failed: []}
  }

  counts() {
    const visible = this.visible().length
    return {
      ApproximateNumberOfMessages: String(visible + this.approximateExtra),
      ApproximateNumberOfMessagesNotVisible: String(this.messages.length - visible),
    }
  }
}

let queues: Record<string, FakeQueue>
const queueOf = (url: string | undefined) => queues[url!]

const eventFor = (key: string, etag: string) =>
  JSON.stringify(
    s3ObjectCreatedEvent({account: '123456789012', region: 'eu-west-1', bucket: BUCKET, key, size: 10, etag}),
  )

/** The processing bucket, as its listing answers: key → ETag. */
let waiting: Record<string, string>

beforeEach(() => {
  for (const mock of [s3, sqs]) mock.reset()
  stack.answerWith(OUTPUTS)
  s3.on(ListObjectsCommand).callsFake(({Prefix = ''}) => ({
    Contents: Object.entries(waiting)
      .filter(([key]) => key.startsWith(Prefix))
      .sort()
      .map(([Key, etag]) => ({Key, ETag: `"${etag}"`, Size: 10, LastModified: new Date()})),
    IsTruncated: false,
  }))
  queues = {[URLS.events]: new FakeQueue(), [URLS.processor]: new FakeQueue()}
  sqs.on(GetQueueAttributesCommand).callsFake((input) => ({Attributes: queueOf(input.QueueUrl).counts()}))
  sqs.on(ReceiveMessageCommand).callsFake((input) => queueOf(input.QueueUrl).receive(input))
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input) => queueOf(input.QueueUrl).changeVisibility(input))
  sqs.on(DeleteMessageBatchCommand).callsFake((input) => queueOf(input.QueueUrl).delete(input))
  waiting = {}
})

/** Both queues as EventBridge, Lambda and the sweep fill them; returns the ids of the letters `clear` may remove. */
function fillQueues() {
  const events = queues[URLS.events]
  const processor = queues[URLS.processor]
  // EventBridge could not deliver these; their objects have been processed since (by the sweep, say).
  const gone = Array.from({length: 12}, (_, i) =>
    events.add(eventFor(`2026/gone-${i}.json`, 'a'.repeat(32)), {
      ERROR_CODE: 'SDK_CLIENT_ERROR',
      ERROR_MESSAGE: 'Unable to invoke Lambda',
      RULE_ARN: 'arn:aws:events:eu-west-1:123456789012:rule/EventPulse-ObjectCreated',
      TARGET_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:EventPulse-Processor',
    }),
  )
  // Lambda's own letter for a failed invocation; the object still waits, that very upload.
  waiting['2026/waiting.json'] = 'b'.repeat(32)
  const stillWaiting = processor.add(eventFor('2026/waiting.json', 'b'.repeat(32)), {
    RequestID: 'req-1',
    ErrorCode: 200,
    ErrorMessage: 'Task timed out after 60.00 seconds',
  })
  // The sweep gave up on an upload that a newer one of the key has replaced since.
  waiting['2026/replaced.json'] = 'd'.repeat(32)
  const replaced = processor.add(eventFor('2026/replaced.json', 'c'.repeat(32)), {
    ErrorCode: 'AccessDenied',
    ErrorMessage: 'Access Denied',
    Attempts: 3,
    Source: 'eventpulse-sweep',
  })
  // A scheduled sweep run that failed, and something that is no S3 event at all.
  const sweepRun = processor.add(JSON.stringify(SWEEP_REQUEST), {RequestID: 'req-2', ErrorCode: 200})
  const unreadable = processor.add('not json', {RequestID: 'req-3', ErrorCode: 200})
  return {gone, stillWaiting, replaced, sweepRun, unreadable}
}

const target = () =>
  resolveTarget({stack: 'EventPulse', 'assume-role': true}, deadLettersTargetRequest({concurrency: 4}))

describe('dead-letters list on AWS', () => {
  it('reads both queues named by the stack outputs, consuming nothing: a second listing shows the same letters', async () => {
    const ids = fillQueues()
    const stack = await target()
    const first = await listDeadLetters(stack, deadLetterSource(stack))
    const second = await listDeadLetters(stack, deadLetterSource(stack))

    expect(first.count).toBe(16)
    const byId = (listing: typeof first) => [...listing.letters].sort((a, b) => a.id.localeCompare(b.id))
    expect(byId(second)).toEqual(byId(first))
    // Every message is still in its queue, visible, and nothing was deleted.
    for (const queue of Object.values(queues)) expect(queue.visible()).toHaveLength(queue.messages.length)
    expect(queues[URLS.events].messages).toHaveLength(12)
    expect(queues[URLS.processor].messages).toHaveLength(4)
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toEqual([])
    for (const call of sqs.commandCalls(ReceiveMessageCommand)) {
      expect(Object.values(URLS)).toContain(call.args[0].input.QueueUrl)
      expect(call.args[0].input).toMatchObject({
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
        MessageAttributeNames: ['All'],
      })
      expect(call.args[0].input.VisibilityTimeout).toBeLessThanOrEqual(60)
    }
    expect(first.places).toEqual([
      {place: 'undelivered-events', where: URLS.events, listed: 12, approximate: 12, inFlight: 0, complete: true},
      {place: 'failed-invocations', where: URLS.processor, listed: 4, approximate: 4, inFlight: 0, complete: true},
    ])

    const letter = (id: string) => first.letters.find((l) => l.id === id)
    expect(letter(ids.gone[0])).toMatchObject({
      place: 'undelivered-events',
      kind: 'objects',
      objects: [{key: '2026/gone-0.json', etag: 'a'.repeat(32), state: 'gone'}],
      error: {code: 'SDK_CLIENT_ERROR', message: 'Unable to invoke Lambda'},
      ageSeconds: expect.closeTo(3600, -1),
      clearable: true,
    })
    expect(letter(ids.stillWaiting)).toMatchObject({
      place: 'failed-invocations',
      objects: [{key: '2026/waiting.json', state: 'waiting'}],
      error: {code: '200', message: 'Task timed out after 60.00 seconds'},
      clearable: false,
    })
    expect(letter(ids.stillWaiting)?.attempts).toBeUndefined()
    expect(letter(ids.replaced)).toMatchObject({
      objects: [{key: '2026/replaced.json', etag: 'c'.repeat(32), state: 'replaced', waitingEtag: 'd'.repeat(32)}],
      error: {code: 'AccessDenied', message: 'Access Denied'},
      attempts: 3,
      clearable: true,
    })
    expect(letter(ids.sweepRun)).toMatchObject({kind: 'sweep-run', objects: [], clearable: true})
    expect(letter(ids.unreadable)).toMatchObject({kind: 'unreadable', objects: [], clearable: false})
  })

  it('says when the listing may be incomplete: a queue holding more than it gave, or messages someone else reads', async () => {
    fillQueues()
    queues[URLS.events].approximateExtra = 30
    queues[URLS.processor].messages[0].visibleAt = Date.now() + 60_000
    const stack = await target()
    const {places, count} = await listDeadLetters(stack, deadLetterSource(stack))
    expect(count).toBe(15)
    expect(places.map(({complete, inFlight}) => ({complete, inFlight}))).toEqual([
      {complete: false, inFlight: 0},
      {complete: true, inFlight: 1},
    ])
    expect(incompleteLines(places)).toEqual([
      'undelivered-events: listed 12 of about 42 messages; the listing may be incomplete (run it again).',
      'failed-invocations: 1 message was being read by someone else and is not listed.',
    ])
  })
})

describe('dead-letters clear on AWS', () => {
  const quiet = {say: () => undefined}

  it('refuses without a terminal and without --yes, and --dry-run removes nothing', async () => {
    fillQueues()
    const stack = await target()
    await expect(
      clearDeadLetters(stack, deadLetterSource(stack), {yes: false, dryRun: false, ...quiet}),
    ).rejects.toMatchObject({exitCode: 2, code: 'ConfirmationRequired'})
    const dryRun = await clearDeadLetters(stack, deadLetterSource(stack), {yes: false, dryRun: true, ...quiet})
    expect(dryRun).toMatchObject({removed: [], dryRun: true})
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toEqual([])
    expect(queues[URLS.events].messages).toHaveLength(12)
    expect(queues[URLS.processor].messages).toHaveLength(4)
  })

  it('removes only the letters with nothing left waiting, with the receipt handles of a fresh read', async () => {
    const ids = fillQueues()
    const stack = await target()
    const source = deadLetterSource(stack)
    // The receipt handles the listing shown before the question got: the removal must not use them.
    let shownHandles = new Set<string>()
    const said: string[] = []
    const result = await clearDeadLetters(
      stack,
      {
        ...source,
        async remove(letters) {
          shownHandles = new Set(await receivedHandles())
          return source.remove(letters)
        },
      },
      {yes: true, dryRun: false, say: (line) => said.push(line)},
    )

    expect(result.removed.sort()).toEqual([...ids.gone, ids.replaced, ids.sweepRun].sort())
    expect(result.kept.map((letter) => letter.id).sort()).toEqual([ids.stillWaiting, ids.unreadable].sort())
    expect(result).toMatchObject({missing: [], failed: [], declined: false})
    // The fakes delete only with a message's latest receipt handle: what is left is exactly what was kept.
    expect(queues[URLS.events].messages).toEqual([])
    expect(queues[URLS.processor].messages.map((message) => message.id).sort()).toEqual(
      [ids.stillWaiting, ids.unreadable].sort(),
    )
    expect(queues[URLS.processor].visible()).toHaveLength(2)
    const deleted = sqs
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => entry.ReceiptHandle!)
    expect(deleted).toHaveLength(14)
    expect(shownHandles.size).toBe(16)
    expect(deleted.filter((handle) => shownHandles.has(handle))).toEqual([])
    expect(said).toContain('Removed 14 of 14 dead letters.')
    expect(said.some((line) => line.startsWith('Keeping 2 dead letters'))).toBe(true)
  })
})

describe('a dead letter whose event has no ETag', () => {
  // Some S3 implementations send no ETag: written by hand, as such an event arrives.
  const noEtagEvent = JSON.stringify({
    version: '0',
    source: 'aws.s3',
    'detail-type': 'Object Created',
    account: '123456789012',
    region: 'eu-west-1',
    time: '2026-12-01T10:00:00Z',
    resources: [`arn:aws:s3:::${BUCKET}`],
    detail: {bucket: {name: BUCKET}, object: {key: '2026/no-etag.json', size: 10}, reason: 'PutObject'},
  })

  it('counts as still waiting while its key waits, whatever the ETag there, and is kept by clear', async () => {
    waiting['2026/no-etag.json'] = 'e'.repeat(32)
    const id = queues[URLS.processor].add(noEtagEvent, {RequestID: 'req-9', ErrorCode: 200})
    const stack = await target()

    const {letters} = await listDeadLetters(stack, deadLetterSource(stack))
    expect(letters).toHaveLength(1)
    expect(letters[0]).toMatchObject({id, objects: [{key: '2026/no-etag.json', state: 'waiting'}], clearable: false})
    const result = await clearDeadLetters(stack, deadLetterSource(stack), {yes: true, dryRun: false, say: () => {}})
    expect(result.removed).toEqual([])
    expect(queues[URLS.processor].messages.map((message) => message.id)).toEqual([id])
  })
})

/** Every receipt handle the queues have handed out so far. */
async function receivedHandles(): Promise<string[]> {
  const answers = await Promise.all(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.returnValue))
  return answers.flatMap((answer) => (answer.Messages ?? []).map((message) => message.ReceiptHandle!))
}
