import {randomUUID} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import {DEFAULT_STUCK_AFTER_SECONDS, SWEEP_LIMITS} from '#contract/pipeline-contract.js'
import type {CliError} from '#core/errors.js'
import type {ObjectCreatedEvent, ObjectRef} from '#processor/event.js'
import {releaseLeasesOf} from '#processor/batch-leases.js'
import {createObjectHandler, createUploadProcessor, type LogLine} from '#processor/handler.js'
import {type Notification, type Notifier, OutboxNotifier} from '#processor/notifier.js'
import {type OutcomeCounts, tallyOutcomes} from '#processor/metrics.js'
import type {BatchSettings} from '#processor/process-batch.js'
import type {ProcessResult} from '#processor/results.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {startControlServer} from './control.js'
import {type DeadLetterRecord, EventDispatcher} from './dispatcher.js'
import {wireObjectCreatedEvents} from './event-wiring.js'
import {acquireInstanceLock} from './lock.js'
import {CleanupStack, emulatorClients, emulatorFailure, type LocalEmulators, startLocalEmulators} from './resources.js'
import type {SetAsideObject} from './s3-files.js'
import {type LocalLayout, localLayout, type LocalPipelineState, removeLocalState, writeLocalState} from './state.js'
import {type LocalSweeperOptions, startSweeper} from './sweeper.js'
import {ensureTable} from './table.js'
import {LOCAL_RESOURCES} from './target.js'

export {ensureTable} from './table.js'

/** Set (to anything) for `local start` in a test, it loses every upload's event: what `selftest` must catch. */
export const DROP_EVENTS_FOR_TESTS = 'EVENTPULSE_TEST_DROP_EVENTS'

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
  /** How often the processing bucket is swept for objects whose event never came (default 5 minutes). */
  sweepEverySeconds?: number
  /** Age after which the sweep takes an object as having lost its event (default 15 minutes). */
  stuckAfterSeconds?: number
  /** The uploader role may write replacements too (`upload --replace`), as the deploy setting uploaderMayReplace. */
  uploaderMayReplace?: boolean
  /** Tests only: the share of "Object Created" events lost on the way (0 to 1), as S3 may lose one. */
  dropEventRatio?: number
}

export interface LocalPipelineStats {
  stored: number
  replaced: number
  quarantined: number
  unchanged: number
  skipped: number
  deadLettered: number
  /** Batch objects done, and invocations of a batch that stopped at a checkpoint to go on in the next. */
  batch: number
  continuing: number
  /** Objects the sweep stored, quarantined or found unchanged: their event never came. */
  recoveredBySweep: number
  /** Objects the sweep gave up on after SWEEP_LIMITS.maxAttempts tries (they are in the dead-letter file too). */
  givenUpBySweep: number
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
  /** What the processor's metrics counted since start (records; what `local status` shows), live. */
  outcomes: OutcomeCounts
  /** Resolves once every object created so far has been handled or dead-lettered. */
  idle(): Promise<void>
  /** Delivers an event as S3 would, on top of the pipeline's own: tests deliver late and repeated events with it. */
  deliver(event: ObjectCreatedEvent): void
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
  // Named by this run's batch leases, and in the lock, so that a start after a crash releases them.
  const instanceId = randomUUID()
  const lock = await acquireInstanceLock(layout.lockFile, instanceId)
  cleanups.push(lock.release)
  try {
    const {host = '127.0.0.1', s3Port, dynamodbPort, uploaderMayReplace} = options
    const emulators = await startLocalEmulators(layout, {host, s3Port, dynamodbPort, uploaderMayReplace}, cleanups)
    const clients = emulatorClients(emulators.address, {maxAttempts: 3}, cleanups)
    await ensureTable(
      clients.dynamodb,
      LOCAL_RESOURCES.table,
      LOCAL_RESOURCES.outcomesTable,
      LOCAL_RESOURCES.historyTable,
    )
    // The run that died holds no batch any more: its batches continue at once, before the leftovers are queued.
    if (lock.diedInstance) await releaseLeasesOf(clients.dynamodb, LOCAL_RESOURCES.outcomesTable, lock.diedInstance)
    const {dispatcher, stats, outcomes, sweeping} = startProcessing(options, layout, emulators, cleanups, instanceId)
    // Before the emulators close, also when the start fails: running handlers finish, the rest stay in flight.
    cleanups.push(() => dispatcher.stop())
    const events = await wireObjectCreatedEvents({
      s3Emulator: emulators.s3,
      s3: clients.s3,
      dispatcher,
      bucket: LOCAL_RESOURCES.processingBucket,
      region: LOCAL_RESOURCES.region,
      inflightDirectory: layout.inflightDirectory,
      dropEventRatio: options.dropEventRatio,
    })
    const schedule = {
      everySeconds: options.sweepEverySeconds ?? SWEEP_LIMITS.defaultEverySeconds,
      stuckAfterSeconds: options.stuckAfterSeconds ?? DEFAULT_STUCK_AFTER_SECONDS,
    }
    const state = pipelineState(layout, emulators, {...schedule, recovered: 0, givenUp: 0}, outcomes)
    state.uploaderMayReplace = uploaderMayReplace ?? false
    const writeState = options.writeState !== false
    const saveState = stateSaver(layout.stateFile, state)
    const sweeper = startSweeper({
      ...sweeping,
      ...schedule,
      async onSweep(result) {
        if (result.recovered === 0 && result.gaveUp.length === 0) return
        stats.givenUpBySweep += result.gaveUp.length
        state.sweep = {...state.sweep, recovered: stats.recoveredBySweep, givenUp: stats.givenUpBySweep}
        // `local status` reads the sweep's counts from the state file.
        if (writeState) await saveState()
      },
    })
    cleanups.push(() => sweeper.stop())
    if (writeState) {
      // Other commands find the pipeline, and the way to ask it, in the state file.
      const control = await startControlServer(
        {sweep: () => sweeper.sweepNow(), removeDeadLetters: (ids) => dispatcher.removeDeadLetters(ids)},
        host,
      )
      cleanups.push(() => control.close())
      state.control = control.address
      await saveState()
      cleanups.push(() => removeLocalState(layout.stateFile))
      cleanups.push(saveOutcomesWhileChanging(state, saveState))
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
      outcomes,
      idle: events.idle,
      deliver: (event) => dispatcher.submit(event),
      stop: () =>
        (stopped ??= (async () => {
          await sweeper.stop()
          await events.stop()
          await cleanups.run()
        })()),
    }
  } catch (error) {
    await cleanups.run()
    throw error
  }
}

/**
 * The processor handler, with clients of its own, behind a dispatcher that counts what became of each object; and
 * what the sweep needs to go through the same handler and dispatcher.
 */
function startProcessing(
  options: LocalPipelineOptions,
  layout: LocalLayout,
  emulators: LocalEmulators,
  cleanups: CleanupStack,
  instanceId: string,
): {
  dispatcher: EventDispatcher
  stats: LocalPipelineStats
  outcomes: OutcomeCounts
  sweeping: Omit<LocalSweeperOptions, 'everySeconds' | 'stuckAfterSeconds' | 'onSweep'>
} {
  const handlerClients = emulatorClients(emulators.address, {maxAttempts: options.sdkMaxAttempts ?? 3}, cleanups)
  options.instrumentHandlerClients?.(handlerClients)
  const {processingBucket, quarantineBucket, table, outcomesTable, historyTable, region} = LOCAL_RESOURCES
  const log = options.log ?? appendToLogFile(layout.logFile, cleanups)
  // The processor's metrics, kept as counts for `local status` (nothing is sent anywhere).
  const outcomes = tallyOutcomes()
  const handlerDeps = {
    ...handlerClients,
    notifier: options.notifier ?? new OutboxNotifier(layout.outboxFile, options.onNotification),
    processingBucket,
    quarantineBucket,
    table,
    outcomesTable,
    historyTable,
    batch: options.batch,
    instanceId,
    log,
    metrics: outcomes,
  }
  const processUpload = createUploadProcessor(handlerDeps)
  const stats: LocalPipelineStats = {
    stored: 0,
    replaced: 0,
    quarantined: 0,
    unchanged: 0,
    skipped: 0,
    deadLettered: 0,
    batch: 0,
    continuing: 0,
    recoveredBySweep: 0,
    givenUpBySweep: 0,
  }
  const concurrency = options.concurrency ?? 8
  const dispatcher = new EventDispatcher({
    handler: createObjectHandler(handlerDeps, processUpload),
    concurrency,
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
  const sweeping = {
    ...handlerClients,
    dispatcher,
    processingBucket,
    outcomesTable,
    region,
    concurrency,
    log,
    async processUpload(ref: ObjectRef, how: {resumes: boolean; stop: AbortSignal}) {
      const result = await processUpload(ref, {bySweep: true, ...how})
      stats[result.outcome]++
      if (result.outcome !== 'skipped' && !how.resumes) stats.recoveredBySweep++
      return result
    },
  }
  return {dispatcher, stats, outcomes: outcomes.counts, sweeping}
}

/** Writes the state file, one write at a time (each replaces the file whole, through the same temporary file). */
function stateSaver(file: string, state: LocalPipelineState): () => Promise<void> {
  let last = Promise.resolve()
  return () => (last = last.catch(() => {}).then(() => writeLocalState(file, state)))
}

/**
 * Saves the state each second in which the outcome counts changed; returns the cleanup that stops it, once the last
 * write is done (so that none lands after the state file is removed).
 */
function saveOutcomesWhileChanging(state: LocalPipelineState, save: () => Promise<void>): () => Promise<void> {
  let saved = JSON.stringify(state.outcomes)
  let writing = Promise.resolve()
  const timer = setInterval(() => {
    const now = JSON.stringify(state.outcomes)
    if (now === saved) return
    // A failed write is tried again the next second.
    writing = save().then(
      () => void (saved = now),
      () => {},
    )
  }, 1000)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await writing
  }
}

/** The handler's log lines as JSON lines appended to the file, which the cleanup stack closes. */
function appendToLogFile(file: string, cleanups: CleanupStack): (line: LogLine) => void {
  const stream = createWriteStream(file, {flags: 'a', mode: 0o600})
  cleanups.push(() => new Promise((resolve) => stream.end(resolve)))
  return (line) => stream.write(JSON.stringify(line) + '\n')
}

/** What the state file says while the pipeline runs. */
function pipelineState(
  layout: LocalLayout,
  {address: {endpoints, credentials}, roleCredentials}: LocalEmulators,
  sweep: LocalPipelineState['sweep'],
  outcomes: OutcomeCounts,
): LocalPipelineState {
  const {region, processingBucket, quarantineBucket, table, outcomesTable, historyTable} = LOCAL_RESOURCES
  return {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir: layout.root,
    region,
    endpoints,
    credentials,
    roleCredentials,
    processingBucket,
    quarantineBucket,
    table,
    outcomesTable,
    historyTable,
    schemaHash: ITEM_SCHEMA_HASH,
    outboxFile: layout.outboxFile,
    deadLetterFile: layout.deadLetterFile,
    logFile: layout.logFile,
    sweep,
    outcomes,
  }
}
