import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {PublishCommand, SNSClient} from '@aws-sdk/client-sns'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, expect, test} from 'vitest'

import {NOTIFICATION_ATTRIBUTES} from '#contract/pipeline-contract.js'
import {type Notification, OutboxNotifier, SnsNotifier} from '#processor/notifier.js'
import {removeDir, temporaryDir} from './helpers.js'

// What subscribers receive: SNS on AWS (its limits on subjects and attribute values), the outbox file locally.

const sns = mockClient(SNSClient)
afterEach(() => sns.reset())

const stored: Notification = {
  outcome: 'stored',
  subject: 'EventPulse: stored Beyoncé / TRACK#Halo — 日本',
  message: 'incoming/halo.json was stored as ArtistID "Beyoncé", ItemID "TRACK#Halo".',
  bucket: 'processing',
  sourceKey: 'incoming/halo.json',
  etag: 'abc',
  item: {ArtistID: 'Beyoncé', ItemID: 'TRACK#Halo'},
  at: '2026-11-28T00:00:00.000Z',
}

async function published(notification: Notification) {
  sns.on(PublishCommand).resolves({MessageId: '1'})
  await new SnsNotifier(new SNSClient({region: 'eu-west-1'}), 'arn:topic').publish(notification)
  const [call] = sns.commandCalls(PublishCommand)
  return call.args[0].input
}

test('an SNS subject keeps its printable ASCII, each other character shown as ?, the message unchanged', async () => {
  const input = await published(stored)
  expect(input.Subject).toBe('EventPulse: stored Beyonc? / TRACK#Halo ? ??')
  expect(JSON.parse(input.Message!).subject).toBe(stored.subject)
})

test('an SNS subject is cut to 99 characters (SNS refuses 100 or more)', async () => {
  const item = `TRACK#${'x'.repeat(200)}`
  const input = await published({...stored, subject: `EventPulse: stored A / ${item}`})
  expect(input.Subject).toBe(`EventPulse: stored A / ${item}`.slice(0, 99))
})

test('a batch whose records were all stored has no reason attribute (SNS refuses an empty list)', async () => {
  const input = await published({
    ...stored,
    outcome: 'batch',
    batch: {
      outcomes: ['stored'],
      reasons: [],
      counts: {records: 2, stored: 2, unchanged: 0, quarantined: 0, reasons: {}},
      problems: [],
    },
  })
  expect(input.MessageAttributes).toEqual({
    [NOTIFICATION_ATTRIBUTES.kind]: {DataType: 'String', StringValue: 'batch'},
    [NOTIFICATION_ATTRIBUTES.outcome]: {DataType: 'String.Array', StringValue: '["stored"]'},
  })
})

test('the outbox file is readable by its owner only, and needs no listener', async () => {
  const dir = await temporaryDir()
  try {
    const outbox = new OutboxNotifier(join(dir, 'outbox.jsonl'))
    await outbox.publish(stored)
    expect((await stat(outbox.file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(outbox.file, 'utf8'))).toEqual(stored)
  } finally {
    await removeDir(dir)
  }
})
