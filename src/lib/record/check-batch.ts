import {MAX_BATCH_OBJECT_BYTES, MAX_BATCH_RECORDS} from '#contract/limits.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import {batchLines} from './batch-lines.js'
import {checkRecord, type RecordProblem} from './check-record.js'

/** A problem of one record of a batch: which record (1-based, blank lines not counted) and why it would be quarantined. */
export interface BatchProblem extends RecordProblem {
  record?: number
  reason: QuarantineReason
}

export interface BatchCheck {
  valid: number
  invalid: number
  problems: BatchProblem[]
}

/** Why a record number is past the batch limit, the same words in `validate` and the processor. */
export const pastRecordLimit = (record: number): string =>
  `record ${record} is past the limit of ${MAX_BATCH_RECORDS} records per batch; split the file`

/**
 * Checks every record of a batch file as the processor will, streamed (one line held at a time): each line with the
 * one checkRecord, located as `line:column` of the file. A file over the batch size limit, or not readable as gzip,
 * is a problem of the whole file.
 */
export async function checkBatch(
  chunks: AsyncIterable<Uint8Array>,
  options: {gzip: boolean; size?: number},
): Promise<BatchCheck> {
  const result: BatchCheck = {valid: 0, invalid: 0, problems: []}
  if (options.size !== undefined && options.size > MAX_BATCH_OBJECT_BYTES) {
    const message = `the batch is ${options.size} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split the file`
    return {...result, problems: [{path: '', reason: 'too-large', message}]}
  }
  let record = 0
  try {
    for await (const {line, bytes} of batchLines(chunks, {gzip: options.gzip})) {
      record++
      if (record > MAX_BATCH_RECORDS) {
        result.invalid++
        result.problems.push({path: '', line, column: 1, record, reason: 'too-large', message: pastRecordLimit(record)})
        continue
      }
      const check = checkRecord(bytes, {line})
      if (check.ok) result.valid++
      else {
        result.invalid++
        result.problems.push(...check.problems.map((problem) => ({...problem, record, reason: check.reason})))
      }
    }
  } catch (error) {
    const message = `not readable${options.gzip ? ' as gzip' : ''} past record ${record}: ${(error as Error).message}`
    result.problems.push({path: '', reason: 'invalid-json', message})
  }
  return result
}
