import {performance} from 'node:perf_hooks'

import {isTransientError} from '#core/aws-responses.js'
import {InvalidEventError, objectRefs} from './event.js'
import {ObjectProcessor, type ProcessorDeps, type ProcessResult} from './process-object.js'

/** One structured line per object (CloudWatch Logs Insights can filter on every field). */
export type LogLine = Record<string, unknown>

export type ObjectHandler = (event: unknown) => Promise<ProcessResult[]>

const jsonLine = (line: LogLine) => console.log(JSON.stringify(line))

/**
 * The processor's entry point, the same on AWS and locally: for each upload the event names, process it and
 * log one line. A failure is logged and thrown, so the invocation is retried and finally dead-lettered.
 */
export function createObjectHandler(
  deps: ProcessorDeps & {processingBucket: string; log?: (line: LogLine) => void},
): ObjectHandler {
  const processor = new ObjectProcessor(deps)
  const log = deps.log ?? jsonLine
  return async (event) => {
    const results: ProcessResult[] = []
    for (const ref of objectRefs(event)) {
      // The processor deletes what it reads: never act on an event about some other bucket.
      if (ref.bucket !== deps.processingBucket)
        throw new InvalidEventError(`the event is about bucket ${ref.bucket}, not the processing bucket`)
      const started = performance.now()
      const base = {bucket: ref.bucket, key: ref.key, etag: ref.etag, sequencer: ref.sequencer}
      try {
        const result = await processor.process(ref)
        const {outcome, key: _key, ...details} = result
        log({level: 'info', ...base, outcome, ...details, durationMs: Math.round(performance.now() - started)})
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
