import {performance} from 'node:perf_hooks'

import {isTransientError} from '#core/aws-responses.js'
import {InvalidEventError, objectRefs} from './event.js'
import {ObjectProcessor, type ProcessorDeps, type ProcessResult} from './process-object.js'

/** One structured line per object (CloudWatch Logs Insights can filter on every field). */
export type LogLine = Record<string, unknown>

/** The part of the Lambda context the handler uses: how long the invocation may still run. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number
}

export type ObjectHandler = (event: unknown, context?: InvocationContext) => Promise<ProcessResult[]>

// Straight to stdout, not console.log: Lambda prefixes console lines with a time and request id, and CloudWatch
// metric filters (the stack counts `skipped` lines) match JSON only when the whole log event is JSON.
const jsonLine = (line: LogLine) => process.stdout.write(JSON.stringify(line) + '\n')

/** Why a skipped upload needed no work, for the warning line. */
const SKIPPED_BECAUSE = {
  gone: 'the object is no longer in the processing bucket (already handled, or removed)',
  superseded: 'a newer upload replaced the object; its own event handles it',
  leased: 'another processor is working on this batch (it holds the lease); it, or the sweep after it, finishes it',
} as const

/**
 * The processor's entry point, the same on AWS and locally: for each upload the event names, process it and
 * log one line. A failure is logged and thrown, so the invocation is retried and finally dead-lettered; so is an
 * event that cannot be understood, which then reaches the dead-letter queue whole. A skipped upload is logged as a
 * warning with why (the stack counts these lines and alarms on them).
 */
export function createObjectHandler(
  deps: ProcessorDeps & {processingBucket: string; log?: (line: LogLine) => void},
): ObjectHandler {
  const processor = new ObjectProcessor(deps)
  const log = deps.log ?? jsonLine
  return async (event, context) => {
    // A batch checks it before each checkpoint, and stops in time to record where the next try goes on.
    const options = context ? {remainingTimeMs: () => context.getRemainingTimeInMillis()} : {}
    const results: ProcessResult[] = []
    for (const ref of objectRefs(event)) {
      // The processor deletes what it reads: never act on an event about some other bucket.
      if (ref.bucket !== deps.processingBucket)
        throw new InvalidEventError(`the event is about bucket ${ref.bucket}, not the processing bucket`)
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
        log({level, ...base, outcome, ...details, ...because, durationMs: Math.round(performance.now() - started)})
        results.push(result)
      } catch (error) {
        const err = error as Error
        log({
          level: 'error',
          ...base,
          outcome: 'failed',
          transient: isTransientError(error),
          error: `${err?.name}: ${err?.message}`,
          durationMs: Math.round(performance.now() - started),
        })
        throw error
      }
    }
    return results
  }
}
