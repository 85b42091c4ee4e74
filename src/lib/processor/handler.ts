import {performance} from 'node:perf_hooks'

import {isSweepRequest} from '#contract/pipeline-contract.js'
import {isTransientError} from '#core/aws-responses.js'
import {InvalidEventError, type ObjectRef, objectRefs} from './event.js'
import {countResult, type OutcomeMetrics} from './metrics.js'
import {ObjectProcessor, type ProcessorDeps} from './process-object.js'
import type {ProcessOptions, ProcessResult} from './results.js'
import {sweep, type SweepDeps, type SweepResult} from './sweep.js'

/** One structured line per object (CloudWatch Logs Insights can filter on every field). */
export type LogLine = Record<string, unknown>

/** The part of the Lambda context the event handler uses: how long the invocation may still run. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number
}

/** `stop`: a stop asked for (locally, Ctrl-C): a batch stops at its next record, as when time runs out. */
export type ObjectHandler = (event: unknown, context?: RemainingTime, stop?: AbortSignal) => Promise<ProcessResult[]>

/**
 * Processes one upload and logs one line about it; `bySweep` when the sweep found it rather than its event, and
 * `resumes` when that is a batch whose event came (started, its lease expired): continued, not recovered.
 */
export type UploadProcessor = (
  ref: ObjectRef,
  how?: {bySweep?: boolean; resumes?: boolean} & ProcessOptions,
) => Promise<ProcessResult>

export type HandlerDeps = ProcessorDeps & {
  processingBucket: string
  /** One structured line per object (the Lambda's logger on AWS, pipeline.log locally). */
  log: (line: LogLine) => void
  /** Where each upload's outcome is counted (CloudWatch metrics on AWS); not counted when absent. */
  metrics?: OutcomeMetrics
}

/** Why a skipped upload needed no work, for the warning line. */
const SKIPPED_BECAUSE = {
  gone: 'the object is no longer in the processing bucket (already handled, or removed)',
  superseded: 'a newer upload replaced the object; its own event handles it',
  leased:
    'another processor is working on this batch (it holds the lease, until leaseExpiresAt); it finishes it, or a ' +
    'delivery or the sweep continues it once the lease expired',
  done: 'the batch was done and announced already; its object is removed',
} as const

/**
 * Processes an upload, logs one line and counts its outcome, the same for its event and for the sweep. A failure is
 * logged, counted and thrown, so the invocation is retried and finally dead-lettered (or, for the sweep, counted
 * against the object's tries). A skipped upload is logged as a warning with why (the stack alarms on its metric). A
 * swept object's line says `recoveredBySweep`: true when the sweep stored, quarantined or found it unchanged (the stack
 * alarms on that metric too: someone's events are going missing); a batch the sweep resumed after its holder's lease
 * expired says `resumedBySweep` instead, and is not counted as recovered: its event came.
 */
export function createUploadProcessor(deps: HandlerDeps): UploadProcessor {
  const processor = new ObjectProcessor(deps)
  const {log, metrics} = deps
  return async (ref, {bySweep, resumes, ...options} = {}) => {
    const recovered = bySweep && !resumes
    const started = performance.now()
    const base = {
      bucket: ref.bucket,
      key: ref.key,
      etag: ref.etag,
      sequencer: ref.sequencer,
      ...(ref.etag === undefined ? {note: 'the event carries no ETag: handled as the object is now'} : {}),
    }
    try {
      const result = await processor.process(ref, options)
      const {outcome, ...details} = result
      const level = outcome === 'skipped' ? 'warn' : 'info'
      const because = outcome === 'skipped' ? {because: SKIPPED_BECAUSE[result.why]} : {}
      const swept = recovered ? {recoveredBySweep: outcome !== 'skipped'} : resumes ? {resumedBySweep: true} : {}
      log({
        level,
        ...base,
        outcome,
        ...details,
        ...because,
        ...swept,
        durationMs: Math.round(performance.now() - started),
      })
      if (metrics) countResult(metrics, result, recovered)
      return result
    } catch (error) {
      const err = error as Error
      log({
        level: 'error',
        ...base,
        outcome: 'failed',
        ...(recovered ? {recoveredBySweep: false} : resumes ? {resumedBySweep: true} : {}),
        transient: isTransientError(error),
        error: `${err?.name}: ${err?.message}`,
        durationMs: Math.round(performance.now() - started),
      })
      metrics?.count('failed', 1)
      throw error
    }
  }
}

/**
 * The processor's handling of events, the same on AWS and locally: each upload the event names, in turn. An event
 * that cannot be understood throws, so the invocation fails and the event reaches the dead-letter queue whole.
 */
export function createObjectHandler(
  deps: HandlerDeps,
  processUpload: UploadProcessor = createUploadProcessor(deps),
): ObjectHandler {
  return async (event, context, stop) => {
    // A batch checks them before each record, and stops in time to record where the next try goes on.
    const options = {...(context ? {remainingTimeMs: () => context.getRemainingTimeInMillis()} : {}), stop}
    const results: ProcessResult[] = []
    for (const ref of objectRefs(event)) {
      // The processor deletes what it reads: never act on an event about some other bucket.
      if (ref.bucket !== deps.processingBucket)
        throw new InvalidEventError(`the event is about bucket ${ref.bucket}, not the processing bucket`)
      results.push(await processUpload(ref, options))
    }
    return results
  }
}

/** What the sweep needs besides the processor's own dependencies. */
export type SweepSettings = Omit<
  SweepDeps,
  'process' | 'log' | 's3' | 'dynamodb' | 'processingBucket' | 'outcomesTable' | 'keepGoing' | 'account'
>

/** The part of the Lambda context the sweep reads: its time left, and its ARN (arn:aws:lambda:region:account:…). */
export interface InvocationContext extends RemainingTime {
  invokedFunctionArn: string
}

/** Time kept free at the end of a sweep invocation, so objects started in it finish before the Lambda's timeout. */
export const SWEEP_TIME_RESERVE_MS = 20_000

/**
 * The Lambda's entry point: the sweep schedule's request (SWEEP_REQUEST) runs a sweep; anything else is an event.
 */
export function createProcessorHandler(
  deps: HandlerDeps & {
    sweep: SweepSettings
    /**
     * Delivers the event again in a new invocation (on AWS, an asynchronous invoke of this function), for a batch that
     * stopped at a checkpoint: it goes on at once from there, rather than at the next sweep.
     */
    continueLater?: (event: unknown) => Promise<void>
  },
): (input: unknown, context?: InvocationContext) => Promise<ProcessResult[] | SweepResult> {
  const processUpload = createUploadProcessor(deps)
  const handleEvent = createObjectHandler(deps, processUpload)
  return async (input, context) => {
    if (!isSweepRequest(input)) {
      const results = await handleEvent(input, context)
      // Should this call fail, the invocation fails and its retry continues the batch from the same checkpoint.
      if (deps.continueLater && results.some((result) => result.outcome === 'continuing'))
        await deps.continueLater(input)
      return results
    }
    return sweep({
      ...deps.sweep,
      s3: deps.s3,
      dynamodb: deps.dynamodb,
      processingBucket: deps.processingBucket,
      outcomesTable: deps.outcomesTable,
      account: context?.invokedFunctionArn.split(':')[4] ?? '',
      log: deps.log,
      // A batch the sweep continues stops, at a checkpoint, in time for the sweep's own end.
      process: (ref, {resumes}) =>
        processUpload(ref, {
          bySweep: true,
          resumes,
          remainingTimeMs: context && (() => context.getRemainingTimeInMillis() - SWEEP_TIME_RESERVE_MS),
        }),
      keepGoing: () => (context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY) > SWEEP_TIME_RESERVE_MS,
    })
  }
}
