import {readFile, rm} from 'node:fs/promises'

import {GetItemCommand, PutItemCommand, ScanCommand, type ScanCommandOutput} from '@aws-sdk/client-dynamodb'
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

import {OUTCOMES_TABLE} from '#contract/table.js'
import {type LocalPipeline, type LocalPipelineOptions, startLocalPipeline} from '#local/pipeline.js'
import {objectCreatedEvent} from '#local/events.js'
import {type Notification, OutboxNotifier} from '#processor/notifier.js'
import {localClients, localTarget} from '#local/target.js'
import {tempDir} from '../helpers/temp-dirs.js'

export async function temporaryDir(prefix = 'eventpulse-test-'): Promise<string> {
  return tempDir(prefix)
}

/**
 * A local pipeline in a fresh directory, with the notifications it sends collected; `unwatchedBucket` is made beside
 * it, for tests that deliver their own events to a handler of their own.
 */
export async function startTestPipeline({
  unwatchedBucket,
  ...options
}: Partial<LocalPipelineOptions> & {unwatchedBucket?: string} = {}) {
  const dataDir = options.dataDir ?? (await temporaryDir())
  const notifications: Notification[] = []
  const logs: Record<string, unknown>[] = []
  const getObjectKeys: string[] = []
  const pipeline = await startLocalPipeline({
    dataDir,
    writeState: false,
    retryDelayMs: 20,
    onNotification: (notification) => notifications.push(notification),
    log: (line) => logs.push(line),
    ...options,
    instrumentHandlerClients(clients) {
      clients.s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'GetObjectCommand') getObjectKeys.push((args.input as {Key: string}).Key)
          return next(args)
        },
        {step: 'initialize', name: 'recordGetObject'},
      )
      options.instrumentHandlerClients?.(clients)
    },
  })
  if (unwatchedBucket) await pipeline.s3.send(new CreateBucketCommand({Bucket: unwatchedBucket}))
  return {pipeline, dataDir, notifications, logs, getObjectKeys, ...helpers(pipeline)}
}

export type TestPipeline = Awaited<ReturnType<typeof startTestPipeline>>

/**
 * What the quarantine admin's `--local` commands act with, in-process: the pipeline as a target (on the test's
 * clients), an S3 client signing with the admin's keys (the one role that may write under replace/), and a notifier
 * appending to the pipeline's outbox, as the CLI does.
 */
export function adminOf(pipeline: LocalPipeline) {
  const {s3, dynamodb, state} = pipeline
  return {
    target: localTarget(state, {clients: {s3, dynamodb}}),
    s3: localClients({endpoints: state.endpoints, credentials: state.roleCredentials.quarantineAdmin}).s3,
    notifier: new OutboxNotifier(pipeline.layout.outboxFile),
  }
}

/** Stops a test pipeline and removes its directory (nothing to do for one that never started). */
export async function stopTestPipeline(t: TestPipeline | undefined): Promise<void> {
  await t?.pipeline.stop()
  if (t) await removeDir(t.dataDir)
}

/** A one-record upload's text: a Track of the artist and title given, with any other attributes given. */
export const trackRecord = (artist: string, title: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ArtistID: artist, ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: 200, ...extra})

export function helpers(pipeline: LocalPipeline) {
  const {s3, dynamodb, state} = pipeline
  return {
    /**
     * Puts an object in the processing bucket (or `bucket`) and returns its ETag, unquoted. Conditional into the
     * processing bucket, as every write there must be (its policy on AWS; the local S3 enforces it too): a key still in
     * flight is refused with 412, never replaced. Into a test's own bucket it is not, so that a test can replace an
     * upload as other S3 implementations let a writer do.
     */
    async upload(
      key: string,
      body: string | Uint8Array,
      bucket = state.processingBucket,
      metadata?: Record<string, string>,
    ) {
      // As bytes: the SDK sends an empty string with no Content-Length, and warns of a stream of unknown length.
      const bytes = typeof body === 'string' ? Buffer.from(body) : body
      const {ETag} = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          Metadata: metadata,
          IfNoneMatch: bucket === state.processingBucket ? '*' : undefined,
        }),
      )
      return ETag!.replaceAll('"', '')
    },
    async keys(bucket: string): Promise<string[]> {
      const {Contents = []} = await s3.send(new ListObjectsCommand({Bucket: bucket, MaxKeys: 1000}))
      return Contents.map((object) => object.Key!).sort()
    },
    async items() {
      const items = []
      let ExclusiveStartKey
      do {
        const page: ScanCommandOutput = await dynamodb.send(
          new ScanCommand({TableName: state.table, ExclusiveStartKey}),
        )
        items.push(...(page.Items ?? []))
        ExclusiveStartKey = page.LastEvaluatedKey
      } while (ExclusiveStartKey)
      return items
    },
    async item(artist: string, itemId: string) {
      const {Item} = await dynamodb.send(
        new GetItemCommand({TableName: state.table, Key: {ArtistID: {S: artist}, ItemID: {S: itemId}}}),
      )
      return Item
    },
    async quarantined(key: string) {
      const head = await s3.send(new HeadObjectCommand({Bucket: state.quarantineBucket, Key: key}))
      const body = await (
        await s3.send(new GetObjectCommand({Bucket: state.quarantineBucket, Key: key}))
      ).Body!.transformToString()
      return {metadata: head.Metadata ?? {}, body}
    },
    /** The outcomes-table record of one upload (key + ETag), if any. */
    async outcome(key: string, etag: string) {
      const {Item} = await dynamodb.send(
        new GetItemCommand({
          TableName: state.outcomesTable,
          Key: {[OUTCOMES_TABLE.partitionKey]: {S: key}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
        }),
      )
      return Item
    },
    /**
     * The outcome record a batch's holder leaves (key + ETag): its lease (`owner`, until `until`, epoch ms) and, past
     * `doneLines` lines, its checkpoint with each of those lines stored.
     */
    async leased(
      key: string,
      etag: string,
      {owner, until, doneLines = 0}: {owner: string; until: number; doneLines?: number},
    ) {
      const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
      const counts = {records: doneLines, stored: doneLines, unchanged: 0, quarantined: 0, reasons: {}}
      await dynamodb.send(
        new PutItemCommand({
          TableName: state.outcomesTable,
          Item: {
            [partitionKey]: {S: key},
            [sortKey]: {S: etag},
            [attributes.leaseOwner]: {S: owner},
            [attributes.leaseExpiresAt]: {N: String(until)},
            ...(doneLines > 0
              ? {[attributes.nextLine]: {N: String(doneLines + 1)}, [attributes.counts]: {S: JSON.stringify(counts)}}
              : {}),
          },
        }),
      )
    },
    async outbox(): Promise<Notification[]> {
      const text = await readFile(pipeline.layout.outboxFile, 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    },
  }
}

export const removeDir = (dir: string) => rm(dir, {recursive: true, force: true})

/** Puts an object straight into `bucket` (one the pipeline does not watch) and returns the event S3 would send. */
export async function putWithEvent(s3: S3Client, bucket: string, key: string, body: string, region = 'us-east-1') {
  const {ETag} = await s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: Buffer.from(body)}))
  return objectCreatedEvent({
    bucket,
    key,
    size: Buffer.byteLength(body),
    etag: ETag!.replaceAll('"', ''),
    sequencer: '0000000000AA000001',
    region,
  })
}

/** `s3`, but `before` runs ahead of each `commandName` (e.g. 'DeleteObjectCommand') it sends; if it throws, so does the call. */
export function s3Before(s3: S3Client, commandName: string, before: () => void | Promise<void>): S3Client {
  return Object.create(s3, {
    send: {
      value: async (command: {constructor: {name: string}}) => {
        if (command.constructor.name === commandName) await before()
        return s3.send(command as never)
      },
    },
  })
}

/** `s3`, but each `commandName` fails as S3's own 500 while `failing()` holds. */
export function s3FailingOn(s3: S3Client, commandName: string, failing: () => boolean): S3Client {
  return s3Before(s3, commandName, () => {
    if (failing()) throw Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})
  })
}

/**
 * What a processor handler of a test's own needs, on `bucket` (one the pipeline does not watch, so the test delivers
 * events itself), over the pipeline's S3, tables and quarantine bucket; notifications and log lines are dropped.
 */
export function directHandlerDeps(pipeline: LocalPipeline, bucket: string) {
  return {
    s3: pipeline.s3,
    dynamodb: pipeline.dynamodb,
    processingBucket: bucket,
    quarantineBucket: pipeline.state.quarantineBucket,
    table: pipeline.state.table,
    outcomesTable: pipeline.state.outcomesTable,
    historyTable: pipeline.state.historyTable,
    notifier: {publish: async () => {}},
    log: () => {},
  }
}
