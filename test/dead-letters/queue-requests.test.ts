import {S3Client} from '@aws-sdk/client-s3'
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import type {DeadLetter, DeadLetterPlace} from '#dead-letters/letters.js'
import {incompleteLines} from '#dead-letters/letters.js'
import {queueSource} from '#dead-letters/queues.js'
import {deadLetterSource} from '#dead-letters/source.js'

// The stack's two dead-letter queues at the SDK boundary, each answering from a script: exactly which requests a
// listing and a removal send (receives until three bring nothing new, at most 1,000 messages, everything made visible
// again in batches of ten, deletes with the latest receipt handles) and how each message becomes a letter.
// test/dead-letters/queues.test.ts checks the same against queues that behave as SQS does.

const sqs = mockClient(SQSClient)
const EVENTS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-Undelivered'
const INVOCATIONS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-Failed'

const target = (): PipelineTarget => ({
  label: 'stack EventPulse in eu-west-1',
  region: 'eu-west-1',
  concurrency: 4,
  resources: {deadLetterQueueUrl: EVENTS, processorDeadLetterQueueUrl: INVOCATIONS},
  s3: new S3Client({region: 'eu-west-1'}),
  sqs: new SQSClient({region: 'eu-west-1'}),
})

/** Per queue: its counts, and the messages each receive answers, in turn (nothing once the script is done). */
let script: Record<string, {counts?: Record<string, string>; receives: Message[][]}>
let receipts = 0
/** A message as SQS hands it out: each receive gives it a new receipt handle. */
const message = (id: string, fields: Partial<Message> = {}): Message => ({
  MessageId: id,
  ReceiptHandle: `${id}/r${++receipts}`,
  Body: '{}',
  ...fields,
})
const ids = (prefix: string, count: number) => Array.from({length: count}, (_, i) => `${prefix}${i}`)
const inputs = <T extends {input: unknown}>(calls: {args: [T]}[]) => calls.map((call) => call.args[0].input)
const callsTo = (command: Parameters<typeof sqs.commandCalls>[0], url: string) =>
  inputs(sqs.commandCalls(command) as never as {args: [{input: {QueueUrl?: string}}]}[]).filter(
    (input) => (input as {QueueUrl?: string}).QueueUrl === url,
  )

beforeEach(() => {
  sqs.reset()
  receipts = 0
  script = {[EVENTS]: {receives: []}, [INVOCATIONS]: {receives: []}}
  sqs.on(GetQueueAttributesCommand).callsFake(({QueueUrl}) => ({Attributes: script[QueueUrl].counts}))
  sqs.on(ReceiveMessageCommand).callsFake(({QueueUrl}) => ({Messages: script[QueueUrl].receives.shift()}))
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({Successful: [], Failed: []})
})

const RECEIVE = {
  MaxNumberOfMessages: 10,
  VisibilityTimeout: 30,
  WaitTimeSeconds: 0,
  MessageSystemAttributeNames: ['SentTimestamp'],
  MessageAttributeNames: ['All'],
}

describe('reading the queues', () => {
  it('empty queues with no counts: each asked for its two counts, received three times, nothing to release', async () => {
    const read = await deadLetterSource(target()).read()
    expect(read).toEqual({
      places: [
        {place: 'undelivered-events', where: EVENTS, listed: 0, approximate: 0, inFlight: 0, complete: true},
        {place: 'failed-invocations', where: INVOCATIONS, listed: 0, approximate: 0, inFlight: 0, complete: true},
      ],
      letters: [],
    })
    for (const url of [EVENTS, INVOCATIONS]) {
      expect(callsTo(GetQueueAttributesCommand, url)).toEqual([
        {QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']},
      ])
      expect(callsTo(ReceiveMessageCommand, url)).toEqual(Array(3).fill({QueueUrl: url, ...RECEIVE}))
    }
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)).toEqual([])
  })

  it("reads each message's error, time and attempts as EventBridge, Lambda and the sweep write them", async () => {
    const attributes = (values: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(values).map(([name, value]) => [name, {DataType: 'String', StringValue: value}]),
      )
    script[INVOCATIONS] = {
      counts: {ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '2'},
      receives: [
        [
          message('lambda', {
            Body: '{"detail":{"object":{"key":"k.json"}}}',
            Attributes: {SentTimestamp: '1764583200000'},
            MessageAttributes: attributes({ErrorCode: '200', ErrorMessage: 'Task timed out', Attempts: '3'}),
          }),
          // EventBridge's attribute names win over Lambda's.
          message('rule', {
            Body: 'not json',
            MessageAttributes: attributes({
              ERROR_CODE: 'SDK_CLIENT_ERROR',
              ERROR_MESSAGE: 'Unable to invoke Lambda',
              ErrorCode: '500',
              ErrorMessage: 'other',
            }),
          }),
          {ReceiptHandle: 'no-id', Body: '{}'},
          message('bare', {
            Body: undefined,
            Attributes: {SentTimestamp: '0'},
            MessageAttributes: attributes({Attempts: '0'}),
          }),
        ],
      ],
    }
    const {places, letters} = await queueSource(target()).read()
    expect(letters).toEqual([
      {
        place: 'failed-invocations',
        id: 'lambda',
        body: {detail: {object: {key: 'k.json'}}},
        error: {code: '200', message: 'Task timed out'},
        at: new Date('2025-12-01T10:00:00.000Z'),
        attempts: 3,
      },
      {
        place: 'failed-invocations',
        id: 'rule',
        body: undefined,
        error: {code: 'SDK_CLIENT_ERROR', message: 'Unable to invoke Lambda'},
        at: undefined,
        attempts: undefined,
      },
      {
        place: 'failed-invocations',
        id: 'bare',
        body: undefined,
        error: {code: undefined, message: undefined},
        at: undefined,
        attempts: undefined,
      },
    ])
    // Three listed of about three: complete; the two others were being read.
    expect(places[1]).toEqual({
      place: 'failed-invocations',
      where: INVOCATIONS,
      listed: 3,
      approximate: 3,
      inFlight: 2,
      complete: true,
    })
    expect(callsTo(ReceiveMessageCommand, INVOCATIONS)).toHaveLength(4)
    expect(callsTo(ChangeMessageVisibilityBatchCommand, INVOCATIONS)).toEqual([
      {
        QueueUrl: INVOCATIONS,
        Entries: [
          {Id: '0', ReceiptHandle: 'lambda/r1', VisibilityTimeout: 0},
          {Id: '1', ReceiptHandle: 'rule/r2', VisibilityTimeout: 0},
          {Id: '2', ReceiptHandle: 'bare/r3', VisibilityTimeout: 0},
        ],
      },
    ])
  })

  it('keeps receiving while messages come, three empty receives after the last new one; a message again is nothing new', async () => {
    script[EVENTS] = {
      counts: {ApproximateNumberOfMessages: '3'},
      receives: [[message('a')], [], [], [message('b')], [message('a')], [message('b')], [], []],
    }
    const {places, letters} = await queueSource(target()).read()
    expect(letters.map((letter) => letter.id)).toEqual(['a', 'b'])
    expect(callsTo(ReceiveMessageCommand, EVENTS)).toHaveLength(7)
    // Two of about three: the listing may be incomplete.
    expect(places[0]).toMatchObject({listed: 2, approximate: 3, inFlight: 0, complete: false})
    expect(incompleteLines(places)).toEqual([
      'undelivered-events: listed 2 of about 3 messages; the listing may be incomplete (run it again).',
    ])
    // Each made visible with its latest receipt handle.
    expect(callsTo(ChangeMessageVisibilityBatchCommand, EVENTS)).toEqual([
      {
        QueueUrl: EVENTS,
        Entries: [
          {Id: '0', ReceiptHandle: 'a/r3', VisibilityTimeout: 0},
          {Id: '1', ReceiptHandle: 'b/r4', VisibilityTimeout: 0},
        ],
      },
    ])
  })

  it('one message listed of none, or being read by someone else: said in the singular', async () => {
    script[EVENTS] = {
      counts: {ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1'},
      receives: [],
    }
    const {places} = await queueSource(target()).read()
    expect(incompleteLines(places)).toEqual([
      'undelivered-events: listed 0 of about 1 message; the listing may be incomplete (run it again).',
      'undelivered-events: 1 message was being read by someone else and is not listed.',
    ])
  })

  it('stops at 1,000 messages, incomplete even when the queue says it holds 1,000, and releases them ten at a time', async () => {
    const all = ids('m', 1010)
    script[EVENTS] = {
      counts: {ApproximateNumberOfMessages: '1000'},
      receives: Array.from({length: 101}, (_, i) => all.slice(i * 10, i * 10 + 10).map((id) => message(id))),
    }
    const {places} = await queueSource(target()).read()
    expect(places[0]).toMatchObject({listed: 1000, approximate: 1000, complete: false})
    expect(callsTo(ReceiveMessageCommand, EVENTS)).toHaveLength(100)
    const releases = callsTo(ChangeMessageVisibilityBatchCommand, EVENTS) as {Entries: {Id: string}[]}[]
    expect(releases).toHaveLength(100)
    expect(releases.every((release) => release.Entries.map((entry) => entry.Id).join() === '0,1,2,3,4,5,6,7,8,9')).toBe(
      true,
    )
    expect(releases[99].Entries[9]).toEqual({Id: '9', ReceiptHandle: 'm999/r1000', VisibilityTimeout: 0})
  })

  it('999 messages, as many as the queue says: complete', async () => {
    const all = ids('m', 999)
    script[EVENTS] = {
      counts: {ApproximateNumberOfMessages: '999'},
      receives: Array.from({length: 100}, (_, i) => all.slice(i * 10, i * 10 + 10).map((id) => message(id))),
    }
    const {places} = await queueSource(target()).read()
    expect(places[0]).toMatchObject({listed: 999, complete: true})
  })
})

const letter = (place: DeadLetterPlace, id: string): DeadLetter => ({
  place,
  id,
  kind: 'objects',
  objects: [],
  error: {},
  clearable: true,
})

describe('removing letters', () => {
  it('reads again and deletes with the fresh receipt handles, ten at a time; only the queue of the letters is read', async () => {
    const held = ids('f', 13)
    script[INVOCATIONS] = {
      receives: [held.slice(0, 10).map((id) => message(id)), held.slice(10).map((id) => message(id))],
    }
    const answers: Partial<DeleteMessageBatchCommandOutput>[] = [
      {
        Successful: ['0', '1', '2', '3', '4', '5', '6', '7'].map((Id) => ({Id})),
        Failed: [
          {Id: '8', Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle has expired.', SenderFault: true},
          {Id: '9', Code: 'InternalError', SenderFault: false},
        ],
      },
      {Successful: [{Id: '1'}], Failed: [{Id: '0', SenderFault: false} as never]},
    ]
    sqs.on(DeleteMessageBatchCommand).callsFake(() => answers.shift())
    // f12 stays; "vanished" is not in the queue any more.
    const doomed = [...held.slice(0, 12), 'vanished'].map((id) => letter('failed-invocations', id))

    expect(await queueSource(target()).remove(doomed)).toEqual({
      removed: ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f11'],
      failed: [
        {id: 'f8', message: 'The receipt handle has expired.'},
        {id: 'f9', message: 'InternalError'},
        {id: 'f10', message: 'not deleted'},
      ],
    })
    expect(callsTo(GetQueueAttributesCommand, EVENTS)).toEqual([])
    expect(callsTo(ReceiveMessageCommand, EVENTS)).toEqual([])
    expect(callsTo(DeleteMessageBatchCommand, INVOCATIONS)).toEqual([
      {
        QueueUrl: INVOCATIONS,
        Entries: held.slice(0, 10).map((id, i) => ({Id: String(i), ReceiptHandle: `${id}/r${i + 1}`})),
      },
      {
        QueueUrl: INVOCATIONS,
        Entries: [
          {Id: '0', ReceiptHandle: 'f10/r11'},
          {Id: '1', ReceiptHandle: 'f11/r12'},
        ],
      },
    ])
    // What was not deleted is visible again at once: the failures and the letter kept.
    expect(callsTo(ChangeMessageVisibilityBatchCommand, INVOCATIONS)).toEqual([
      {
        QueueUrl: INVOCATIONS,
        Entries: [
          {Id: '0', ReceiptHandle: 'f8/r9', VisibilityTimeout: 0},
          {Id: '1', ReceiptHandle: 'f9/r10', VisibilityTimeout: 0},
          {Id: '2', ReceiptHandle: 'f10/r11', VisibilityTimeout: 0},
          {Id: '3', ReceiptHandle: 'f12/r13', VisibilityTimeout: 0},
        ],
      },
    ])
  })

  it('ten letters: one delete of ten, and no empty one after it (SQS refuses an empty batch)', async () => {
    const held = ids('t', 10)
    script[INVOCATIONS] = {receives: [held.map((id) => message(id))]}
    sqs.on(DeleteMessageBatchCommand).resolves({Successful: held.map((_, i) => ({Id: String(i)}))})
    const removed = await queueSource(target()).remove(held.map((id) => letter('failed-invocations', id)))
    expect(removed).toEqual({removed: held, failed: []})
    expect(callsTo(DeleteMessageBatchCommand, INVOCATIONS)).toHaveLength(1)
  })

  it("each queue's letters are deleted from that queue only", async () => {
    script[EVENTS] = {receives: [[message('e1'), message('shared')]]}
    script[INVOCATIONS] = {receives: [[message('i1'), message('shared')]]}
    // One answer without failures, one without successes.
    sqs
      .on(DeleteMessageBatchCommand, {QueueUrl: EVENTS})
      .resolves({Successful: [{Id: '0'}]})
      .on(DeleteMessageBatchCommand, {QueueUrl: INVOCATIONS})
      .resolves({Failed: [{Id: '0', Code: 'AccessDenied', SenderFault: true}]})
    const removed = await queueSource(target()).remove([
      letter('undelivered-events', 'e1'),
      letter('failed-invocations', 'i1'),
    ])
    expect(removed).toEqual({removed: ['e1'], failed: [{id: 'i1', message: 'AccessDenied'}]})
    expect(inputs(sqs.commandCalls(DeleteMessageBatchCommand))).toEqual([
      {QueueUrl: EVENTS, Entries: [{Id: '0', ReceiptHandle: 'e1/r1'}]},
      {QueueUrl: INVOCATIONS, Entries: [{Id: '0', ReceiptHandle: 'i1/r3'}]},
    ])
  })
})
