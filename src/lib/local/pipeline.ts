import {createWriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'

import {CreateTableCommand, type DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {HeadObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {listObjects} from '#aws/list-objects.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from '#contract/pipeline-contract.js'
import {unquoteEtag} from '#core/aws-responses.js'
import {decodeEventKey, type ObjectCreatedEvent} from '#processor/event.js'
import {createObjectHandler, type LogLine} from '#processor/handler.js'
import {type Notification, type Notifier, OutboxNotifier} from '#processor/notifier.js'
import type {ProcessResult} from '#processor/process-object.js'
import {type DeadLetterRecord, EventDispatcher, forgetInflightEvent, readInflightEvents} from './dispatcher.js'
import {type Emulator, type S3Emulator, startDynamoDb, startS3} from './emulators.js'
import {objectCreatedEvent, sequencerClock} from './events.js'
import {acquireInstanceLock} from './lock.js'
import {LOCAL_RESOURCES, localClients} from './target.js'
import {type LocalLayout, localLayout, type LocalPipelineState, removeLocalState, writeLocalState} from './state.js'

export interface LocalPipelineOptions {
  /** Root of the pipeline's data (emulator files, outbox, dead letters, state): by default localDataRoot(). */
  dataDir: string
  host?: string
  /** 0 picks a free port. */
  s3Port?: number
  dynamodbPort?: number
  /** Handlers running at once. */
  concurrency?: number
  /** Invocations per event before it goes to the dead-letter file. */
  maxAttempts?: number
  retryDelayMs?: number
  /** SDK attempts per AWS call inside the handler. */
  sdkMaxAttempts?: number
  /** Where notifications go; by default the outbox file. */
  notifier?: Notifier
  onNotification?: (notification: Notification) => void
  onResult?: (results: ProcessResult[], event: ObjectCreatedEvent) => void
  onDeadLetter?: (record: DeadLetterRecord) => void
  /** The handler's structured log lines; by default appended to pipeline.log. */
  log?: (line: LogLine) => void
  /** Called with the handler's own clients before it runs (tests add fault injection, the bench counts calls). */
  instrumentHandlerClients?: (clients: {s3: S3Client; dynamodb: DynamoDBClient}) => void
  /** Write the state file other commands read (off for in-process users that pass the pipeline around). */
  writeState?: boolean
}

export interface LocalPipelineStats {
  stored: number
  quarantined: number
  skipped: number
  deadLettered: number
}

export interface LocalPipeline {
  state: LocalPipelineState
  layout: LocalLayout
  /** Clients for the emulators, with no fault injection: for tests, the bench and in-process commands. */
  s3: S3Client
  dynamodb: DynamoDBClient
  /** Objects found in the processing bucket at start and queued again. */
  leftovers: number
  stats(): LocalPipelineStats
  /** Resolves once every object created so far has been handled or dead-lettered. */
  idle(): Promise<void>
  /** Finishes the running handlers, stops the emulators and removes the state file and lock. */
  stop(): Promise<void>
}

export async function ensureTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          {AttributeName: TABLE_KEY.partition, KeyType: 'HASH'},
          {AttributeName: TABLE_KEY.sort, KeyType: 'RANGE'},
        ],
        AttributeDefinitions: [
          {AttributeName: TABLE_KEY.partition, AttributeType: 'S'},
          {AttributeName: TABLE_KEY.sort, AttributeType: 'S'},
          {AttributeName: ITEM_METADATA.sourceKey, AttributeType: 'S'},
        ],
        // As the stack defines it (infra/table.ts).
        GlobalSecondaryIndexes: [
          {
            IndexName: SOURCE_KEY_INDEX,
            KeySchema: [{AttributeName: ITEM_METADATA.sourceKey, KeyType: 'HASH'}],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: [ITEM_METADATA.sourceEtag, ITEM_METADATA.sourceSequencer, ITEM_METADATA.ingestedAt],
            },
          },
        ],
      }),
    )
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error
  }
}

function portError(error: unknown, what: string, port: number): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') return error
  return new CliError(`Port ${port} for the local ${what} is in use.`, {
    exitCode: ExitCode.Usage,
    code: 'PortInUse',
    hint: `Pick another with --${what === 'S3' ? 's3' : 'dynamodb'}-port (0 picks a free one).`,
  })
}

/**
 * Runs the whole pipeline in this process: dynalite and s3rver on loopback with the table and buckets, and the
 * processor handler invoked for every object created in the processing bucket with an EventBridge-shaped event.
 * Objects left in the processing bucket by an earlier run are processed again (with their saved events).
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const layout = localLayout(options.dataDir)
  const host = options.host ?? '127.0.0.1'
  await mkdir(layout.root, {recursive: true, mode: 0o700})
  const releaseLock = await acquireInstanceLock(layout.lockFile)
  const cleanups: (() => Promise<unknown>)[] = [releaseLock]
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  }
  try {
    const {processingBucket, quarantineBucket, table, region} = LOCAL_RESOURCES
    const dynamoPort = options.dynamodbPort ?? 0
    const dynamoEmulator: Emulator = await startDynamoDb({
      path: layout.dynamodbDirectory,
      host,
      port: dynamoPort,
    }).catch((error) => {
      throw portError(error, 'DynamoDB', dynamoPort)
    })
    cleanups.push(() => dynamoEmulator.close())
    const s3Port = options.s3Port ?? 0
    const s3Emulator: S3Emulator = await startS3({
      directory: layout.s3Directory,
      host,
      port: s3Port,
      buckets: [processingBucket, quarantineBucket],
    }).catch((error) => {
      throw portError(error, 'S3', s3Port)
    })
    cleanups.push(() => s3Emulator.close())

    const endpoints = {s3: s3Emulator.endpoint, dynamodb: dynamoEmulator.endpoint}
    const clientsFor = (config: {maxAttempts?: number}) => {
      const {s3, dynamodb} = localClients(endpoints, config)
      cleanups.push(async () => {
        s3.destroy()
        dynamodb.destroy()
      })
      return {s3, dynamodb}
    }
    const clients = clientsFor({maxAttempts: 3})
    await ensureTable(clients.dynamodb, table)

    const handlerClients = clientsFor({maxAttempts: options.sdkMaxAttempts ?? 3})
    options.instrumentHandlerClients?.(handlerClients)
    let log = options.log
    if (!log) {
      const stream = createWriteStream(layout.logFile, {flags: 'a', mode: 0o600})
      cleanups.push(() => new Promise((resolve) => stream.end(resolve)))
      log = (line) => stream.write(JSON.stringify(line) + '\n')
    }

    const stats: LocalPipelineStats = {stored: 0, quarantined: 0, skipped: 0, deadLettered: 0}
    const handler = createObjectHandler({
      ...handlerClients,
      notifier: options.notifier ?? new OutboxNotifier(layout.outboxFile, options.onNotification),
      processingBucket,
      quarantineBucket,
      table,
      log,
    })
    const dispatcher = new EventDispatcher({
      handler,
      concurrency: options.concurrency ?? 8,
      maxAttempts: options.maxAttempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 200,
      inflightDirectory: layout.inflightDirectory,
      deadLetterFile: layout.deadLetterFile,
      onResult(results, event) {
        for (const result of results) stats[result.outcome]++
        options.onResult?.(results, event)
      },
      onDeadLetter(record) {
        stats.deadLettered++
        options.onDeadLetter?.(record)
      },
    })

    const nextSequencer = sequencerClock()
    const preparing = new Set<Promise<void>>()
    s3Emulator.onObjectCreated((record) => {
      if (record.s3.bucket.name !== processingBucket) return
      const {key, size = 0, eTag} = record.s3.object
      const submit = (etag: string) =>
        dispatcher.submit(
          objectCreatedEvent({bucket: processingBucket, key, size, etag, sequencer: nextSequencer(), region}),
        )
      if (eTag) return submit(eTag)
      // s3rver's copy events carry no ETag; S3's do.
      const prepared = clients.s3
        .send(new HeadObjectCommand({Bucket: processingBucket, Key: key}))
        .then((head) => submit(unquoteEtag(head.ETag ?? '')))
        .catch(() => undefined)
        .finally(() => preparing.delete(prepared))
      preparing.add(prepared)
    })

    const leftovers = await redeliverLeftovers(clients.s3, layout, dispatcher, (object) =>
      objectCreatedEvent({bucket: processingBucket, ...object, sequencer: nextSequencer(), region}),
    )

    const state: LocalPipelineState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      dataDir: layout.root,
      region,
      endpoints,
      processingBucket,
      quarantineBucket,
      table,
      outboxFile: layout.outboxFile,
      deadLetterFile: layout.deadLetterFile,
      logFile: layout.logFile,
    }
    if (options.writeState !== false) {
      await writeLocalState(layout.stateFile, state)
      cleanups.push(() => removeLocalState(layout.stateFile))
    }

    const idle = async () => {
      while (preparing.size > 0 || dispatcher.queued > 0) {
        await Promise.all(preparing)
        await dispatcher.idle()
      }
    }
    let stopped: Promise<void> | undefined
    return {
      state,
      layout,
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      leftovers,
      stats: () => ({...stats}),
      idle,
      stop: () =>
        (stopped ??= (async () => {
          await Promise.all(preparing)
          await dispatcher.stop()
          await cleanUp()
        })()),
    }
  } catch (error) {
    await cleanUp()
    throw error
  }
}

/**
 * Queues every object still in the processing bucket: with its saved event when there is one (so a retry finds
 * the item it stored before a crash to be its own), else with a new event. Saved events whose object has gone
 * (handled, then the process stopped before forgetting them) are dropped.
 */
async function redeliverLeftovers(
  s3: S3Client,
  layout: LocalLayout,
  dispatcher: EventDispatcher,
  newEvent: (object: {key: string; size: number; etag: string}) => ObjectCreatedEvent,
): Promise<number> {
  const saved = new Map<string, ObjectCreatedEvent[]>()
  for (const event of await readInflightEvents(layout.inflightDirectory)) {
    const id = `${decodeEventKey(event.detail.object.key)}\n${event.detail.object.etag}`
    saved.set(
      id,
      [...(saved.get(id) ?? []), event].sort((a, b) =>
        a.detail.object.sequencer.localeCompare(b.detail.object.sequencer),
      ),
    )
  }
  let count = 0
  for await (const object of listObjects(s3, LOCAL_RESOURCES.processingBucket)) {
    const etag = object.etag ?? ''
    const id = `${object.key}\n${etag}`
    const [event, ...others] = saved.get(id) ?? []
    saved.delete(id)
    for (const other of others) await forgetInflightEvent(layout.inflightDirectory, other)
    dispatcher.submit(event ?? newEvent({key: object.key, size: object.size, etag}), Boolean(event))
    count++
  }
  for (const events of saved.values())
    for (const event of events) await forgetInflightEvent(layout.inflightDirectory, event)
  return count
}
