import {appendFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'

import {outboxSource, queueSource} from '#selftest/notification-sources.js'
import {tempDir} from '../helpers/temp-dirs.js'

// Where selftest hears of its canaries: the local outbox file, and the stack's queue at the SDK boundary (the mock
// replaces every SQS client in this process).

const sqs = mockClient(SQSClient)
afterAll(() => sqs.restore())

const line = (sourceKey: string, outcome = 'stored') => JSON.stringify({outcome, sourceKey})

describe('the local outbox', () => {
  it("returns each notification of the run's keys once, skipping other runs, other keys and broken lines", async () => {
    const file = join(tempDir('outbox-'), 'outbox.ndjson')
    writeFileSync(
      file,
      [
        line('selftest/R1/stored.json'),
        line('selftest/R2/stored.json'),
        '{"sourceKey": "selftest/R1/broken.json"',
        line('elsewhere/selftest/R1/x.json'),
        '',
      ].join('\n'),
    )
    const source = outboxSource(file)
    expect(source.label).toBe('the outbox')
    expect(await source.receive('selftest/R1/', 0)).toEqual([
      {notification: {outcome: 'stored', sourceKey: 'selftest/R1/stored.json'}},
    ])
    expect(await source.receive('selftest/R1/', 0)).toEqual([])
    appendFileSync(file, `${line('selftest/R1/batch.ndjson', 'batch')}\n`)
    expect(await source.receive('selftest/R1/', 0)).toEqual([
      {notification: {outcome: 'batch', sourceKey: 'selftest/R1/batch.ndjson'}},
    ])
  })

  it('waits a quarter of a second when nothing came, not the whole time it may wait', async () => {
    const source = outboxSource(join(tempDir('outbox-'), 'outbox.ndjson'))
    const started = Date.now()
    expect(await source.receive('selftest/R1/', 60_000)).toEqual([])
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(200)
    expect(waited).toBeLessThan(10_000)
  })
})

describe("the stack's selftest queue", () => {
  const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-SelftestQueue'
  const client = new SQSClient({region: 'eu-west-1', credentials: {accessKeyId: 'A', secretAccessKey: 'S'}})

  beforeEach(() => sqs.reset())

  it("long-polls for up to 20 s with every attribute, and deletes only this run's messages", async () => {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          Body: line('selftest/R1/stored.json'),
          ReceiptHandle: 'h-ours',
          MessageAttributes: {canary: {DataType: 'String', StringValue: 'true'}, outcome: {DataType: 'String'}},
        },
        {Body: line('selftest/R2/stored.json'), ReceiptHandle: 'h-other-run'},
        {Body: '{"sourceKey": ', ReceiptHandle: 'h-broken'},
        {Body: JSON.stringify({outcome: 'stored'}), ReceiptHandle: 'h-no-key'},
      ],
    })
    sqs.on(DeleteMessageBatchCommand).resolves({})
    const source = queueSource(client, QUEUE)
    expect(source.label).toBe('the selftest queue')
    expect(await source.receive('selftest/R1/', 7500)).toEqual([
      {
        notification: {outcome: 'stored', sourceKey: 'selftest/R1/stored.json'},
        attributes: {canary: 'true', outcome: ''},
      },
    ])
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input).toEqual({
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 7,
      VisibilityTimeout: 5,
      MessageAttributeNames: ['All'],
    })
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input)).toEqual([
      {QueueUrl: QUEUE, Entries: [{Id: '0', ReceiptHandle: 'h-ours'}]},
    ])
  })

  it('waits between 0 and 20 seconds, whatever it is asked, and deletes nothing when nothing is ours', async () => {
    sqs.on(ReceiveMessageCommand).resolves({Messages: [{Body: line('selftest/R2/x.json'), ReceiptHandle: 'h'}]})
    const source = queueSource(client, QUEUE)
    for (const waitMs of [60_000, 20_999, 999, -5]) expect(await source.receive('selftest/R1/', waitMs)).toEqual([])
    expect(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.WaitTimeSeconds)).toEqual([
      20, 20, 0, 0,
    ])
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toEqual([])
  })
})
