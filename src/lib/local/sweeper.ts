import {setTimeout as sleep} from 'node:timers/promises'

import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'

import type {ObjectRef} from '#processor/event.js'
import type {LogLine} from '#processor/handler.js'
import type {ProcessResult} from '#processor/results.js'
import {sweep, type SweepResult} from '#processor/sweep.js'
import type {EventDispatcher} from './dispatcher.js'
import {LOCAL_ACCOUNT} from './events.js'

export interface LocalSweeperOptions {
  s3: S3Client
  dynamodb: DynamoDBClient
  dispatcher: EventDispatcher
  /**
   * The handler's own processing of an upload the sweep found (the same processor, notifier and log as events get):
   * `resumes` for a started batch whose lease expired, `stop` once the pipeline stops (a batch stops at its next line).
   */
  processUpload: (ref: ObjectRef, how: {resumes: boolean; stop: AbortSignal}) => Promise<ProcessResult>
  processingBucket: string
  outcomesTable: string
  region: string
  everySeconds: number
  stuckAfterSeconds: number
  concurrency: number
  log: (line: LogLine) => void
  onSweep: (result: SweepResult) => Promise<void>
}

export interface LocalSweeper {
  /** Sweeps now (`eventpulse sweep --local`), after the sweep under way if there is one; reported as scheduled ones are. */
  sweepNow(): Promise<SweepResult>
  /** Lets the sweeps under way finish the objects they started, and starts no more. */
  stop(): Promise<void>
}

/**
 * Sweeps the local processing bucket on a schedule, as the stack's schedule has the processor do on AWS: the same
 * sweep, taking each object's turn through the dispatcher (after any event queued for its key), so one object is
 * never handled twice at once. Keys with events queued or running are left to them; objects given up on go to the
 * dead-letter file.
 */
export function startSweeper(options: LocalSweeperOptions): LocalSweeper {
  const {dispatcher, processUpload} = options
  const stopping = new AbortController()
  const sweepOnce = () =>
    sweep({
      s3: options.s3,
      dynamodb: options.dynamodb,
      processingBucket: options.processingBucket,
      outcomesTable: options.outcomesTable,
      stuckAfterSeconds: options.stuckAfterSeconds,
      account: LOCAL_ACCOUNT,
      region: options.region,
      concurrency: options.concurrency,
      log: options.log,
      keepGoing: () => !stopping.signal.aborted,
      isBusy: (key) => dispatcher.isBusy(key),
      async process(ref, {resumes}) {
        const result = await dispatcher.exclusive(ref.key, () => processUpload(ref, {resumes, stop: stopping.signal}))
        if (!result) throw new Error('the local pipeline stopped before the sweep got to this object')
        return result
      },
      deadLetter: ({event, attempts, error}) =>
        dispatcher.deadLetter({at: new Date().toISOString(), attempts, error, event}),
    })

  // Sweeps asked for and scheduled ones take turns: two at once would only meet at every object.
  let previous: Promise<unknown> = Promise.resolve()
  const sweepInTurn = (): Promise<SweepResult> => {
    const run = previous.then(async () => {
      const result = await sweepOnce()
      await options.onSweep(result)
      return result
    })
    previous = run.catch(() => undefined)
    return run
  }

  const runs = (async () => {
    for (;;) {
      try {
        await sleep(options.everySeconds * 1000, undefined, {signal: stopping.signal})
      } catch {
        return
      }
      try {
        await sweepInTurn()
      } catch (error) {
        const err = error as Error
        options.log({level: 'error', sweep: true, error: `${err?.name}: ${err?.message}`})
      }
    }
  })()

  return {
    sweepNow: sweepInTurn,
    async stop() {
      stopping.abort()
      await runs
      // A sweep asked for may still be finishing its objects.
      await previous
    },
  }
}
