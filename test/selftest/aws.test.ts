import {DeleteItemCommand, DynamoDBClient, GetItemCommand, QueryCommand} from '@aws-sdk/client-dynamodb'
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectTaggingCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import {DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient} from '@aws-sdk/client-sqs'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it, vi} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {queueSource} from '#selftest/notification-sources.js'
import {runSelftest, type SelftestReport, selftestTarget} from '#selftest/run-selftest.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'

// A deployed stack at the SDK boundary: the selftest role's calls, answered as a healthy pipeline would, then broken
// one way at a time. The mocks replace every client of their kind in this process.

const s3 = mockClient(S3Client)
const dynamodb = mockClient(DynamoDBClient)
const sqs = mockClient(SQSClient)

const RUN = 'run1'
const key = (name: string) => `selftest/${RUN}/${name}`
const etagOf = (name: string) => `etag-${name.replace(/\W/g, '')}`
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/EventPulse-SelftestQueue'
const entry = (name: string) => `${key(name)}/q-0123456789abcdef`

const basics = {region: 'eu-west-1', credentials: {accessKeyId: 'A', secretAccessKey: 'S'}, maxAttempts: 1}
const target: PipelineTarget = {
  label: 'stack EventPulse in eu-west-1',
  region: 'eu-west-1',
  concurrency: 4,
  resources: {
    processingBucket: 'processing',
    quarantineBucket: 'quarantine',
    table: 'catalog',
    outcomesTable: 'outcomes',
    selftestQueueUrl: QUEUE,
  },
  s3: new S3Client(basics),
  dynamodb: new DynamoDBClient(basics),
  sqs: new SQSClient(basics),
}

/** A raw-delivered canary notification, as the selftest queue holds it. */
function message(id: string, body: Record<string, unknown>, attributes: Record<string, string>) {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: JSON.stringify({bucket: 'processing', at: '2026-12-07T12:00:00.000Z', canary: true, ...body}),
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        {DataType: value.startsWith('[') ? 'String.Array' : 'String', StringValue: value},
      ]),
    ),
  }
}

const notifications = [
  message(
    'stored',
    {
      outcome: 'stored',
      sourceKey: key('stored.json'),
      item: {ArtistID: 'eventpulse-selftest', ItemID: `TRACK#selftest-${RUN}`},
    },
    {outcome: 'stored', canary: 'true'},
  ),
  message(
    'quarantined',
    {outcome: 'quarantined', reason: 'schema', sourceKey: key('quarantined.json')},
    {outcome: 'quarantined', reason: 'schema', canary: 'true'},
  ),
  message(
    'batch',
    {
      outcome: 'batch',
      sourceKey: key('batch.ndjson'),
      batch: {
        outcomes: ['stored', 'quarantined'],
        reasons: ['schema'],
        counts: {records: 2, stored: 1, unchanged: 0, quarantined: 1, reasons: {schema: 1}},
      },
    },
    {kind: 'batch', outcome: '["stored","quarantined"]', reason: '["schema"]', canary: 'true'},
  ),
  // Another run's, which this run must leave for it.
  message('other', {outcome: 'stored', sourceKey: 'selftest/run0/stored.json'}, {outcome: 'stored', canary: 'true'}),
]

beforeEach(() => {
  s3.reset()
  dynamodb.reset()
  sqs.reset()
  s3.on(PutObjectCommand).callsFake((input: {Key: string}) => ({ETag: `"${etagOf(input.Key)}"`}))
  // Processed: nothing left in processing; an entry for the quarantined canary and the batch's bad line.
  s3.on(ListObjectsCommand).callsFake((input: {Bucket: string; Prefix?: string}) => {
    if (input.Bucket !== 'quarantine') return {Contents: []}
    const keys = [entry('quarantined.json'), entry('batch.ndjson')].filter((found) =>
      found.startsWith(input.Prefix ?? ''),
    )
    return {Contents: keys.map((found) => ({Key: found, Size: 10}))}
  })
  s3.on(GetObjectTaggingCommand).resolves({
    TagSet: [
      {Key: 'ep-reason', Value: 'schema'},
      {Key: 'ep-source-etag', Value: etagOf(key('quarantined.json'))},
    ],
  })
  s3.on(DeleteObjectCommand).resolves({})
  s3.on(ListObjectVersionsCommand).resolves({Versions: [], DeleteMarkers: []})
  s3.on(DeleteObjectsCommand).resolves({Deleted: []})
  dynamodb.on(GetItemCommand).resolves({Item: {ep_source_etag: {S: etagOf(key('stored.json'))}}})
  dynamodb.on(QueryCommand).callsFake((input: {ExpressionAttributeValues: {':key': {S: string}}}) => {
    const source = input.ExpressionAttributeValues[':key'].S
    if (source !== key('batch.ndjson')) return {Items: []}
    const counts = {records: 2, stored: 1, unchanged: 0, quarantined: 1, reasons: {schema: 1}}
    return {
      Items: [
        {
          SourceKey: {S: source},
          SourceEtag: {S: etagOf(source)},
          Outcome: {S: 'batch'},
          Counts: {S: JSON.stringify(counts)},
        },
      ],
    }
  })
  dynamodb.on(DeleteItemCommand).resolves({Attributes: {ArtistID: {S: 'eventpulse-selftest'}}})
  sqs.on(ReceiveMessageCommand).resolvesOnce({Messages: notifications}).resolves({Messages: []})
  sqs.on(DeleteMessageBatchCommand).resolves({})
})

const selftest = (timeoutMs = 2000): Promise<SelftestReport> =>
  runSelftest({target, notifications: queueSource(target.sqs!, QUEUE), timeoutMs, pollMs: 5, runId: RUN})

const stepsOf = (report: SelftestReport) =>
  Object.fromEntries(report.steps.map(({step, status, detail, cause}) => [step, {status, detail, cause}]))

describe('selftest on a deployed stack (at the SDK boundary)', () => {
  it("passes on a healthy pipeline, removes only canaries, and leaves other runs' messages in the queue", async () => {
    const report = await selftest()
    expect(report.steps.map((step) => `${step.status} ${step.step}`)).toEqual([
      'pass send',
      'pass stored canary',
      'pass quarantined canary',
      'pass batch canary',
      'pass stored canary notified',
      'pass quarantined canary notified',
      'pass batch canary notified',
      'pass clean up',
    ])
    expect(report.ok).toBe(true)
    // Every put is conditional, under the reserved prefix.
    for (const call of s3.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input.Key).toMatch(/^selftest\/run1\//)
      expect(call.args[0].input.IfNoneMatch).toBe('*')
    }
    // Items deleted: the two canaries stored, under the reserved ArtistID only.
    expect(
      dynamodb
        .commandCalls(DeleteItemCommand)
        .filter((c) => c.args[0].input.TableName === 'catalog')
        .map((c) => c.args[0].input.Key),
    ).toEqual([
      {ArtistID: {S: 'eventpulse-selftest'}, ItemID: {S: 'TRACK#selftest-run1'}},
      {ArtistID: {S: 'eventpulse-selftest'}, ItemID: {S: 'TRACK#selftest-run1-batch'}},
    ])
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => [c.args[0].input.Bucket, c.args[0].input.Key])).toEqual([
      ['quarantine', entry('quarantined.json')],
      ['quarantine', entry('batch.ndjson')],
    ])
    const deletedMessages = sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? [])
    expect(deletedMessages.map((e) => e.ReceiptHandle).sort()).toEqual([
      'receipt-batch',
      'receipt-quarantined',
      'receipt-stored',
    ])
    expect(stepsOf(report)['clean up'].detail).toBe('removed 2 items, 2 quarantine entries, 1 outcome records')
  })

  it('fails naming the topic when a notification never comes (the canaries themselves ended as they should)', async () => {
    sqs.on(ReceiveMessageCommand).resolves({Messages: notifications.filter((m) => m.MessageId !== 'quarantined')})
    const report = await selftest(300)
    expect(report.ok).toBe(false)
    const steps = stepsOf(report)
    expect(steps['quarantined canary'].status).toBe('pass')
    expect(steps['quarantined canary notified']).toMatchObject({
      status: 'fail',
      detail: 'no notification in the selftest queue',
    })
    expect(steps['quarantined canary notified'].cause).toMatch(/^the topic: the processor may not publish to it/)
    expect(steps['stored canary notified'].status).toBe('pass')
    expect(steps['clean up'].status).toBe('pass')
  })

  it('fails with a notification whose attributes a subscription would filter wrongly', async () => {
    const wrong = message('stored', JSON.parse(notifications[0].Body), {outcome: 'quarantined', canary: 'true'})
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({Messages: [wrong, ...notifications.slice(1)]})
      .resolves({Messages: []})
    const steps = stepsOf(await selftest(300))
    expect(steps['stored canary notified']).toMatchObject({
      status: 'fail',
      detail: 'the notification is wrong: its message attributes outcome are not stored',
    })
  })

  it('fails naming the rule or the function when a canary stays in processing, and removes it there', async () => {
    s3.on(ListObjectsCommand, {Bucket: 'processing'}).callsFake((input: {Prefix?: string}) =>
      key('stored.json').startsWith(input.Prefix ?? '')
        ? {Contents: [{Key: key('stored.json'), Size: 10}]}
        : {Contents: []},
    )
    dynamodb.on(GetItemCommand).resolves({})
    const report = await selftest(300)
    expect(report.ok).toBe(false)
    const steps = stepsOf(report)
    expect(steps['stored canary']).toMatchObject({
      status: 'fail',
      detail: 'still waiting in the processing bucket: the pipeline never finished it (nor notified it)',
    })
    expect(steps['stored canary'].cause).toMatch(
      /^the EventBridge rule \(no event reached the function\), or the processor function/,
    )
    // A canary never processed has no notification step of its own: its failure above says why.
    expect(steps['stored canary notified']).toBeUndefined()
    expect(steps['batch canary'].status).toBe('pass')
    expect(
      s3.commandCalls(DeleteObjectCommand).map((c) => [c.args[0].input.Bucket, c.args[0].input.Key]),
    ).toContainEqual(['processing', key('stored.json')])
  })

  it('fails naming permissions when the cleanup is denied, after proving everything else', async () => {
    dynamodb.on(DeleteItemCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: dynamodb:DeleteItem'), {
        name: 'AccessDeniedException',
      }),
    )
    const report = await selftest()
    expect(report.ok).toBe(false)
    const cleanUp = report.steps.at(-1)!
    expect(cleanUp).toMatchObject({step: 'clean up', status: 'fail'})
    expect(cleanUp.detail).toContain('could not remove the canaries under selftest/run1/')
    expect(cleanUp.cause).toMatch(/^permissions: the selftest role's canary-only delete rights/)
    expect(report.steps.slice(0, -1).every((step) => step.status === 'pass')).toBe(true)
  })

  it('throws an AWS failure (exit 4) after removing what it can', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('socket hang up'), {name: 'TimeoutError'}))
    await expect(selftest()).rejects.toThrow('socket hang up')
    expect(s3.commandCalls(ListObjectsCommand).some((c) => c.args[0].input.Prefix === 'selftest/run1/')).toBe(true)
  })
})

describe('which role and queue selftest uses on a deployed stack', () => {
  const stack = mockDeployedStack()
  afterAll(() => vi.unstubAllEnvs())

  it("assumes the stack's selftest role and reads the selftest queue it outputs", async () => {
    const selftestRole = 'arn:aws:iam::123456789012:role/EventPulse-AccessSelftestRole'
    stack.answerWith({
      [STACK_OUTPUTS.processingBucket]: 'processing',
      [STACK_OUTPUTS.quarantineBucket]: 'quarantine',
      [STACK_OUTPUTS.table]: 'catalog',
      [STACK_OUTPUTS.outcomesTable]: 'outcomes',
      [STACK_OUTPUTS.selftestQueueUrl]: QUEUE,
      [STACK_OUTPUTS.uploaderRoleArn]: 'arn:aws:iam::123456789012:role/uploader',
      [STACK_OUTPUTS.selftestRoleArn]: selftestRole,
    })
    const resolved = await selftestTarget({stack: 'EventPulse', 'assume-role': true})
    const report = await runSelftest({...resolved, timeoutMs: 2000, pollMs: 5, runId: RUN})
    expect(report.ok).toBe(true)
    // The role its credentials are for (assumed on the first request the clients make for real).
    expect(resolved.target.roleArn).toBe(selftestRole)
    expect(sqs.commandCalls(ReceiveMessageCommand)[0].args[0].input.QueueUrl).toBe(QUEUE)
  })
})
