import {createWriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import type {CliError} from '#core/errors.js'
import type {ObjectCreatedEvent} from '#processor/event.js'
import {createObjectHandler, type LogLine} from '#processor/handler.js'
import {type Notification, type Notifier, OutboxNotifier} from '#processor/notifier.js'
import type {BatchSettings} from '#processor/process-batch.js'
import type {ProcessResult} from '#processor/process-object.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {type DeadLetterRecord, EventDispatcher} from './dispatcher.js'
import {wireObjectCreatedEvents} from './event-wiring.js'
import {acquireInstanceLock} from './lock.js'
import {CleanupStack, emulatorClients, emulatorFailure, type LocalEmulators, startLocalEmulators} from './resources.js'
import type {SetAsideObject} from './s3-files.js'
import {type LocalLayout, localLayout, type LocalPipelineState, removeLocalState, writeLocalState} from './state.js'
import {ensureTable} from './table.js'
import {LOCAL_RESOURCES} from './target.js'

export {ensureTable} from './table.js'

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
  /** A time limit per invocation, as Lambda's (a batch then continues in a new invocation); unlimited if unset. */
  invocationTimeoutMs?: number
  /** How batch objects are worked through (tests shorten the checkpoint interval and lease). */
  batch?: Partial<BatchSettings>
  /** Write the state file other commands read (off for in-process users that pass the pipeline around). */
  writeState?: boolean
}

export interface LocalPipelineStats {
  stored: number
  quarantined: number
  unchanged: number
  skipped: number
  deadLettered: number
  /** Batch objects done, and invocations of a batch that stopped at a checkpoint to go on in the next. */
  batch: number
  continuing: number
}

export interface LocalPipeline {
  state: LocalPipelineState
  layout: LocalLayout
  /** Clients for the emulators, with no fault injection: for tests, the bench and in-process commands. */
  s3: S3Client
  dynamodb: DynamoDBClient
  /** Objects found in the processing bucket at start and queued again. */
  leftovers: number
  /** Objects a crash left half-written (never acknowledged to their writers), moved to layout.damagedDirectory. */
  setAside: SetAsideObject[]
  /** Settles when an emulator fails under the pipeline, with the error to stop on (exit 4); never otherwise. */
  failure: Promise<CliError>
  stats(): LocalPipelineStats
  /** Resolves once every object created so far has been handled or dead-lettered. */
  idle(): Promise<void>
  /** Finishes the running handlers, stops the emulators and removes the state file and lock. */
  stop(): Promise<void>
}

/**
 * Runs the whole pipeline in this process: dynalite and s3rver on loopback with the table and buckets, and the
 * processor handler invoked for every object created in the processing bucket with an EventBridge-shaped event.
 * Objects left in the processing bucket by an earlier run are processed again (with their saved events).
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const layout = localLayout(options.dataDir)
  await mkdir(layout.root, {recursive: true, mode: 0o700})
  const cleanups = new CleanupStack()
  cleanups.push(await acquireInstanceLock(layout.lockFile))
  try {
    const {host = '127.0.0.1', s3Port, dynamodbPort} = options
    const emulators = await startLocalEmulators(layout, {host, s3Port, dynamodbPort}, cleanups)
    const clients = emulatorClients(emulators.endpoints, {maxAttempts: 3}, cleanups)
    await ensureTable(clients.dynamodb, LOCAL_RESOURCES.table, LOCAL_RESOURCES.outcomesTable)
    const {dispatcher, stats} = startProcessing(options, layout, emulators, cleanups)
    // Before the emulators close, also when the start fails: running handlers finish, the rest stay in flight.
    cleanups.push(() => dispatcher.stop())
    const events = await wireObjectCreatedEvents({
      s3Emulator: emulators.s3,
      s3: clients.s3,
      dispatcher,
      bucket: LOCAL_RESOURCES.processingBucket,
      region: LOCAL_RESOURCES.region,
      inflightDirectory: layout.inflightDirectory,
    })
    const state = pipelineState(layout, emulators.endpoints)
    if (options.writeState !== false) {
      await writeLocalState(layout.stateFile, state)
      cleanups.push(() => removeLocalState(layout.stateFile))
    }
    let stopped: Promise<void> | undefined
    return {
      state,
      layout,
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      leftovers: events.leftovers,
      setAside: emulators.s3.setAside,
      failure: emulatorFailure(emulators),
      stats: () => ({...stats}),
      idle: events.idle,
      stop: () =>
        (stopped ??= (async () => {
          await events.stop()
          await cleanups.run()
        })()),
    }
  } catch (error) {
    await cleanups.run()
    throw error
  }
}

/** The processor handler, with clients of its own, behind a dispatcher that counts what became of each object. */
function startProcessing(
  options: LocalPipelineOptions,
  layout: LocalLayout,
  emulators: LocalEmulators,
  cleanups: CleanupStack,
): {dispatcher: EventDispatcher; stats: LocalPipelineStats} {
  const handlerClients = emulatorClients(emulators.endpoints, {maxAttempts: options.sdkMaxAttempts ?? 3}, cleanups)
  options.instrumentHandlerClients?.(handlerClients)
  const {processingBucket, quarantineBucket, table, outcomesTable} = LOCAL_RESOURCES
  const handler = createObjectHandler({
    ...handlerClients,
    notifier: options.notifier ?? new OutboxNotifier(layout.outboxFile, options.onNotification),
    processingBucket,
    quarantineBucket,
    table,
    outcomesTable,
    batch: options.batch,
    log: options.log ?? appendToLogFile(layout.logFile, cleanups),
  })
  const stats: LocalPipelineStats = {
    stored: 0,
    quarantined: 0,
    unchanged: 0,
    skipped: 0,
    deadLettered: 0,
    batch: 0,
    continuing: 0,
  }
  const dispatcher = new EventDispatcher({
    handler,
    concurrency: options.concurrency ?? 8,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelayMs: options.retryDelayMs ?? 200,
    inflightDirectory: layout.inflightDirectory,
    deadLetterFile: layout.deadLetterFile,
    invocationTimeoutMs: options.invocationTimeoutMs,
    onResult(results, event) {
      for (const result of results) stats[result.outcome]++
      options.onResult?.(results, event)
    },
    onDeadLetter(record) {
      stats.deadLettered++
      options.onDeadLetter?.(record)
    },
  })
  return {dispatcher, stats}
}

/** The handler's log lines as JSON lines appended to the file, which the cleanup stack closes. */
function appendToLogFile(file: string, cleanups: CleanupStack): (line: LogLine) => void {
  const stream = createWriteStream(file, {flags: 'a', mode: 0o600})
  cleanups.push(() => new Promise((resolve) => stream.end(resolve)))
  return (line) => stream.write(JSON.stringify(line) + '\n')
}

/** What the state file says while the pipeline runs. */
function pipelineState(layout: LocalLayout, endpoints: LocalPipelineState['endpoints']): LocalPipelineState {
  const {region, processingBucket, quarantineBucket, table, outcomesTable} = LOCAL_RESOURCES
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir: layout.root,
    region,
    endpoints,
    processingBucket,
    quarantineBucket,
    table,
    outcomesTable,
    schemaHash: ITEM_SCHEMA_HASH,
    outboxFile: layout.outboxFile,
    deadLetterFile: layout.deadLetterFile,
    logFile: layout.logFile,
  }
}
