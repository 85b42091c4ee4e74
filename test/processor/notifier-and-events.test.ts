import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {PublishCommand, SNSClient} from '@aws-sdk/client-sns'
import {mockClient} from 'aws-sdk-client-mock'
import {describe, expect, test} from 'vitest'

import {NOTIFICATION_ATTRIBUTES} from '#contract/pipeline-contract.js'
import {objectCreatedEvent} from '#local/events.js'
import {notificationLine} from '#local/status-lines.js'
import {decodeEventKey, encodeEventKey, eventKeyCandidates, InvalidEventError, objectRefs} from '#processor/event.js'
import {createObjectHandler} from '#processor/handler.js'
import {type Notification, OutboxNotifier, SnsNotifier} from '#processor/notifier.js'
import {removeDir, temporaryDir} from './helpers.js'

const notification: Notification = {
  outcome: 'quarantined',
  reason: 'schema',
  subject: 'EventPulse: quarantined (schema) — Beyoncé',
  message: 'incoming/Beyoncé.json was quarantined (schema): ItemID is missing',
  bucket: 'processing',
  sourceKey: 'incoming/Beyoncé.json',
  etag: 'abc',
  sequencer: '00AA',
  quarantineBucket: 'quarantine',
  quarantineKey: 'incoming/Beyoncé.json/q-0123456789abcdef',
  at: '2026-11-28T00:00:00.000Z',
}

describe('SnsNotifier', () => {
  test('publishes a subject, the details as JSON and filterable outcome/reason attributes', async () => {
    const sns = mockClient(SNSClient)
    sns.on(PublishCommand).resolves({MessageId: '1'})
    await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:aws:sns:eu-west-1:123456789012:topic').publish(
      notification,
    )

    const [call] = sns.commandCalls(PublishCommand)
    const input = call.args[0].input
    expect(input.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:topic')
    expect(input.Subject).toMatch(/^EventPulse: quarantined \(schema\)/)
    expect(input.Subject).toMatch(/^[\x20-\x7e]{1,99}$/)
    expect(JSON.parse(input.Message!)).toEqual(notification)
    expect(input.MessageAttributes).toEqual({
      outcome: {DataType: 'String', StringValue: 'quarantined'},
      reason: {DataType: 'String', StringValue: 'schema'},
    })
    sns.restore()
  })

  test("a canary's notification (selftest/) carries the canary attribute the selftest queue subscribes to", async () => {
    const sns = mockClient(SNSClient)
    sns.on(PublishCommand).resolves({})
    await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:topic').publish({
      ...notification,
      sourceKey: 'selftest/run/quarantined.json',
      canary: true,
    })
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes).toEqual({
      outcome: {DataType: 'String', StringValue: 'quarantined'},
      reason: {DataType: 'String', StringValue: 'schema'},
      canary: {DataType: 'String', StringValue: 'true'},
    })
    sns.restore()
  })

  test('an unchanged outcome is filterable by its outcome attribute', async () => {
    const sns = mockClient(SNSClient)
    sns.on(PublishCommand).resolves({})
    const {reason: _reason, ...unchanged} = notification
    await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:topic').publish({
      ...unchanged,
      outcome: 'unchanged',
    })
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes).toEqual({
      [NOTIFICATION_ATTRIBUTES.outcome]: {DataType: 'String', StringValue: 'unchanged'},
    })
    sns.restore()
  })

  test('a batch lists its outcomes and reasons as String.Array attributes, so a quarantined-only filter matches it', async () => {
    const sns = mockClient(SNSClient)
    sns.on(PublishCommand).resolves({})
    const {reason: _reason, quarantineKey: _key, ...rest} = notification
    await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:topic').publish({
      ...rest,
      outcome: 'batch',
      batch: {
        outcomes: ['stored', 'quarantined'],
        reasons: ['schema', 'duplicate'],
        counts: {records: 3, stored: 1, unchanged: 0, quarantined: 2, reasons: {schema: 1, duplicate: 1}},
        problems: [{line: 2, path: '/Year', reason: 'schema'}],
      },
    })
    // SNS matches a filter against a String.Array when any of its values matches.
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes).toEqual({
      [NOTIFICATION_ATTRIBUTES.kind]: {DataType: 'String', StringValue: 'batch'},
      [NOTIFICATION_ATTRIBUTES.outcome]: {DataType: 'String.Array', StringValue: '["stored","quarantined"]'},
      [NOTIFICATION_ATTRIBUTES.reason]: {DataType: 'String.Array', StringValue: '["schema","duplicate"]'},
    })
    sns.restore()
  })

  test('a stored outcome carries no reason attribute (SNS refuses empty values)', async () => {
    const sns = mockClient(SNSClient)
    sns.on(PublishCommand).resolves({})
    const {reason: _reason, ...stored} = notification
    await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:topic').publish({...stored, outcome: 'stored'})
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes).toEqual({
      outcome: {DataType: 'String', StringValue: 'stored'},
    })
    sns.restore()
  })
})

test('OutboxNotifier appends one JSON line per notification and tells its listener', async () => {
  const dir = await temporaryDir()
  const heard: Notification[] = []
  const outbox = new OutboxNotifier(join(dir, 'sub', 'outbox.jsonl'), (n) => heard.push(n))
  await outbox.publish(notification)
  await outbox.publish({...notification, outcome: 'stored'})
  const lines = (await readFile(outbox.file, 'utf8')).trimEnd().split('\n')
  expect(lines.map((line) => JSON.parse(line).outcome)).toEqual(['quarantined', 'stored'])
  expect(heard).toHaveLength(2)
  await removeDir(dir)
})

test('local start prints an unchanged outcome as such, naming the stored item', () => {
  const {reason: _reason, quarantineKey: _key, ...rest} = notification
  expect(notificationLine({...rest, outcome: 'unchanged', item: {ArtistID: 'Beyoncé', ItemID: 'TRACK#Halo'}})).toBe(
    '00:00:00 unchanged   incoming/Beyoncé.json = Beyoncé / TRACK#Halo (already stored)',
  )
})

describe('events', () => {
  test.each(['a b.json', 'a+b.json', 'c#d%e.json', 'dir/Beyoncé 日本.json', "it's (1)*!.json"])(
    'key %s survives S3 URL-encoding',
    (key) => {
      const encoded = encodeEventKey(key)
      expect(encoded).toMatch(/^[A-Za-z0-9%+._~!'()*-]+$/)
      expect(decodeEventKey(encoded)).toBe(key)
    },
  )

  test('S3 encodes a space as + and a plus as %2B', () => {
    expect(decodeEventKey('my+file%2B1.json')).toBe('my file+1.json')
  })

  const event = objectCreatedEvent({
    bucket: 'processing',
    key: 'a b.json',
    size: 12,
    etag: 'e1',
    sequencer: '0A',
    region: 'us-east-1',
  })

  test('one event, an array, or an SQS batch of events', () => {
    const ref = {bucket: 'processing', key: 'a b.json', rawKey: 'a+b.json', size: 12, etag: 'e1', sequencer: '0A'}
    expect(objectRefs(event)).toEqual([ref])
    expect(objectRefs([event, event])).toEqual([ref, ref])
    expect(objectRefs({Records: [{body: JSON.stringify(event)}]})).toEqual([ref])
  })

  test('read tolerantly: eTag or etag (quoted or not), no ETag or sequencer, any version id ignored', () => {
    const withObject = (object: Record<string, unknown>) => ({...event, detail: {...event.detail, object}})
    expect(objectRefs(withObject({key: 'k.json', eTag: '"e2"', sequencer: '0B', 'version-id': 'null'}))).toEqual([
      {bucket: 'processing', key: 'k.json', etag: 'e2', sequencer: '0B'},
    ])
    expect(objectRefs(withObject({key: 'k.json', 'version-id': '3HL4kqtJlcpXroDTDmJ'}))).toEqual([
      {bucket: 'processing', key: 'k.json'},
    ])
  })

  test.each([
    ['a+b.json', ['a b.json', 'a+b.json']],
    ['a%2Bb.json', ['a+b.json', 'a%2Bb.json']],
    ['%41.json', ['A.json', '%41.json']],
    ['100%.json', ['100%.json']],
    ['100%25.json', ['100%.json', '100%25.json']],
    ['plain/ü.json', ['plain/ü.json']],
  ])('the key %s may stand for %j (decoded first; raw as it came)', (key, candidates) => {
    expect(eventKeyCandidates(key)).toEqual(candidates)
  })

  test('anything else is refused, and the handler never acts on another bucket', async () => {
    expect(() => objectRefs({...event, 'detail-type': 'Object Deleted'})).toThrow(InvalidEventError)
    expect(() => objectRefs({hello: 'world'})).toThrow(InvalidEventError)
    const handler = createObjectHandler({
      s3: {} as never,
      dynamodb: {} as never,
      notifier: {publish: async () => {}},
      processingBucket: 'other',
      quarantineBucket: 'q',
      table: 't',
      outcomesTable: 'o',
      log: () => {},
    })
    await expect(handler(event)).rejects.toThrow(/not the processing bucket/)
  })
})
