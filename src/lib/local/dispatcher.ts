import {createHash} from 'node:crypto'
import {appendFile, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {isTransientError} from '#core/aws-responses.js'
import {writeFileAtomically} from '#core/files.js'
import {eventObjectKey, type ObjectCreatedEvent} from '#processor/event.js'
import type {ObjectHandler} from '#processor/handler.js'
import type {ProcessResult} from '#processor/results.js'

/** One line of the local dead-letter file: an event whose invocations all failed, whole as it came, and why the last one did. */
export interface DeadLetterRecord {
  at: string
  attempts: number
  error: {name: string; message: string; transient: boolean}
  event: ObjectCreatedEvent
}

export interface DispatcherOptions {
  handler: ObjectHandler
  concurrency: number
  /** Invocations per event before it is dead-lettered (a permanent error dead-letters at once). */
  maxAttempts: number
  /** Wait before the first retry; doubled for each further one. */
  retryDelayMs: number
  inflightDirectory: string
  deadLetterFile: string
  /** Like a Lambda timeout, as the handler sees it: a batch stops in time and is invoked again. Unlimited if unset. */
  invocationTimeoutMs?: number
  onResult?: (results: ProcessResult[], event: ObjectCreatedEvent) => void
  onDeadLetter?: (record: DeadLetterRecord) => void
}

const inflightName = (event: ObjectCreatedEvent): string => {
  // Tolerant: an event that cannot be understood is saved too, then dead-lettered whole.
  const {key, etag, sequencer} = event?.detail?.object ?? {}
  return `${createHash('sha256').update(`${key}\n${etag}\n${sequencer}`).digest('hex').slice(0, 32)}.json`
}

/**
 * Events saved before delivery and not yet handled: redelivered as they were after a restart, like EventBridge would.
 */
export async function readInflightEvents(directory: string): Promise<ObjectCreatedEvent[]> {
  const names = await readdir(directory).catch(() => [] as string[])
  // Temporary files of saves that an earlier process did not finish (see save).
  const unfinished = names.filter((name) => /\.\d+\.tmp$/.test(name) && !name.endsWith(`.${process.pid}.tmp`))
  await Promise.all(unfinished.map((name) => rm(join(directory, name), {force: true})))
  const events = await Promise.all(
    names
      .filter((name) => name.endsWith('.json'))
      .map((name) =>
        readFile(join(directory, name), 'utf8')
          .then(JSON.parse)
          .catch(() => undefined),
      ),
  )
  return events.filter((event): event is ObjectCreatedEvent => Boolean(event?.detail?.object))
}

export const forgetInflightEvent = (directory: string, event: ObjectCreatedEvent): Promise<void> =>
  rm(join(directory, inflightName(event)), {force: true})

/** One line of the dead-letter file: its id (a digest of the line, the same for every reader) and its record. */
export interface DeadLetterLine {
  id: string
  line: string
  /** Undefined for a line that is not JSON (cut short, or written by something else). */
  record?: DeadLetterRecord
}

/** The dead-letter file's lines, in order; none when there is no file. */
export async function readDeadLetterFile(file: string): Promise<DeadLetterLine[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const id = createHash('sha256').update(line).digest('hex').slice(0, 16)
      try {
        return {id, line, record: JSON.parse(line) as DeadLetterRecord}
      } catch {
        return {id, line}
      }
    })
}

/**
 * When to deliver the event again, if ever: at once for a batch that stopped at a checkpoint (out of time); when its
 * lease expires for a batch another holder had (one that died, when a start-up did not release it): the holder renews
 * a live lease, so that delivery steps aside again, and one of a dead holder continues the batch.
 */
function deliverAgainAt(results: ProcessResult[]): number | undefined {
  const times = results.flatMap((result) =>
    result.outcome === 'continuing'
      ? [0]
      : result.outcome === 'skipped' && result.why === 'leased'
        ? [result.leaseExpiresAt]
        : [],
  )
  return times.length > 0 ? Math.max(...times) : undefined
}

/**
 * Invokes the handler for each event the way the Lambda service does for the EventBridge rule: concurrently up
 * to a limit, retrying a failed invocation with backoff, and dead-lettering it when retries run out. Events for
 * the same key are delivered one after another (S3 itself cannot order them; this keeps the local S3's
 * non-atomic conditional requests safe).
 */
export class EventDispatcher {
  private running = 0
  private readonly waiting: (() => void)[] = []
  private readonly tails = new Map<string, Promise<void>>()
  private pending = 0
  private idleWaiters: (() => void)[] = []
  private stopping = false
  /** Aborted on stop: a batch under way stops at its next record, checkpoints and gives its lease up. */
  private readonly stopSignal = new AbortController()
  /** The dead-letter file's appends and rewrites, one after another. */
  private deadLetterFileTurn: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: DispatcherOptions) {}

  /** Queues an event; `saved` when it is already in the in-flight directory (a redelivery). */
  submit(event: ObjectCreatedEvent, saved = false): void {
    const key = eventObjectKey(event) ?? ''
    this.inTurn(key, async () => {
      if (!saved) await this.save(event)
      await this.inSlot(() => this.deliver(event))
    }).catch((error) =>
      console.error(`eventpulse local: could not deliver the event for ${key}: ${(error as Error).message}`),
    )
  }

  /**
   * Runs a task on a key after everything queued for it and before anything queued later, in one of the handler
   * slots: how the sweep takes its turn. Undefined when the dispatcher stopped before the task's turn came.
   */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T | undefined> {
    return this.inTurn(key, () => this.inSlot(task))
  }

  /** Whether events (or a sweep) for the key are queued or being handled. */
  isBusy(key: string): boolean {
    return this.tails.has(key)
  }

  /** Appends a record to the dead-letter file (the dispatcher's own, and the sweep's for objects it gave up on). */
  async deadLetter(record: DeadLetterRecord): Promise<void> {
    await this.inDeadLetterFileTurn(() =>
      appendFile(this.options.deadLetterFile, JSON.stringify(record) + '\n', {mode: 0o600}),
    )
    this.options.onDeadLetter?.(record)
  }

  /**
   * Rewrites the dead-letter file without the lines of these ids (`dead-letters clear`), whole or not at all. Only
   * this process appends to the file, and never during a rewrite, so no record is lost to a rewrite. Returns the ids
   * removed.
   */
  removeDeadLetters(ids: string[]): Promise<string[]> {
    const removing = new Set(ids)
    return this.inDeadLetterFileTurn(async () => {
      const lines = await readDeadLetterFile(this.options.deadLetterFile)
      const kept = lines.filter((line) => !removing.has(line.id))
      if (kept.length < lines.length)
        await writeFileAtomically(this.options.deadLetterFile, kept.map((line) => `${line.line}\n`).join(''), {
          mode: 0o600,
        })
      return [...new Set(lines.filter((line) => removing.has(line.id)).map((line) => line.id))]
    })
  }

  /** Resolves once every submitted event has been handled or dead-lettered. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  get queued(): number {
    return this.pending
  }

  /** Lets running invocations finish and starts no more: what is left is redelivered on the next start. */
  async stop(): Promise<void> {
    this.stopping = true
    this.stopSignal.abort()
    for (const release of this.waiting.splice(0)) release()
    await this.idle()
  }

  /** Whole or not at all: a process killed while saving leaves no event cut short. */
  private async save(event: ObjectCreatedEvent): Promise<void> {
    await writeFileAtomically(join(this.options.inflightDirectory, inflightName(event)), JSON.stringify(event), {
      mode: 0o600,
    })
  }

  private inDeadLetterFileTurn<T>(change: () => Promise<T>): Promise<T> {
    const run = this.deadLetterFileTurn.then(change)
    this.deadLetterFileTurn = run.catch(() => undefined)
    return run
  }

  /** Runs the task once every task queued before it for the same key has ended. */
  private inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.pending++
    const run = (this.tails.get(key) ?? Promise.resolve()).then(task)
    const tail: Promise<void> = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key)
        if (--this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
      })
    this.tails.set(key, tail)
    return run
  }

  private async inSlot<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve))
    if (this.stopping) return undefined
    this.running++
    try {
      return await task()
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }

  private async deliver(event: ObjectCreatedEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const started = Date.now()
        const {invocationTimeoutMs} = this.options
        const context = invocationTimeoutMs
          ? {getRemainingTimeInMillis: () => started + invocationTimeoutMs - Date.now()}
          : undefined
        const results = await this.options.handler(event, context, this.stopSignal.signal)
        const again = deliverAgainAt(results)
        if (again !== undefined) {
          this.options.onResult?.(results, event)
          // Stopping: the event stays in flight, and the next start delivers it (the batch's lease was given up).
          if (this.stopping) return
          await sleep(Math.max(0, again - Date.now()), undefined, {signal: this.stopSignal.signal}).catch(() => {})
          if (this.stopping) return
          attempt = 0
          continue
        }
        await forgetInflightEvent(this.options.inflightDirectory, event)
        this.options.onResult?.(results, event)
        return
      } catch (error) {
        const transient = isTransientError(error)
        if (transient && attempt < this.options.maxAttempts && !this.stopping) {
          await sleep(this.options.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()))
          continue
        }
        if (this.stopping && transient) return
        const err = error as Error
        const record: DeadLetterRecord = {
          at: new Date().toISOString(),
          attempts: attempt,
          error: {name: err?.name ?? 'Error', message: err?.message ?? String(error), transient},
          event,
        }
        await this.deadLetter(record)
        return
      }
    }
  }
}
