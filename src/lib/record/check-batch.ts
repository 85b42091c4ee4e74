import {MAX_BATCH_OBJECT_BYTES} from '#contract/limits.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import {BatchCutShortError, batchLines, BatchPastLimitError} from './batch-lines.js'
import {checkRecord, type RecordProblem} from './check-record.js'
import type {TypedItem} from './typed-item.js'

/** A problem of one record of a batch: which record (1-based, blank lines not counted) and why it would be quarantined. */
export interface BatchProblem extends RecordProblem {
  record?: number
  reason: QuarantineReason
}

/** Problems past the first ones listed: how many, by reason. */
export interface MoreProblems {
  count: number
  reasons: Partial<Record<QuarantineReason, number>>
}

export interface BatchCheck {
  valid: number
  invalid: number
  /**
   * The first problems, in line order: PROBLEMS_LISTED of records, so a file of a million bad records stays small, and
   * last the one that stopped reading, if any.
   */
  problems: BatchProblem[]
  /** The problems past those, counted only. */
  moreProblems?: MoreProblems
}

/** Problems of a batch's records listed one by one; the rest are counted by reason. */
const PROBLEMS_LISTED = 100

/**
 * Checks every record of a batch file as the processor will, streamed (one line held at a time): each line with the
 * one checkRecord, located as `line:column` of the file. A file over the batch size limit is a problem of the whole
 * file. Reading stops where the processor's does (records or text past the limits, gzip data broken off), and what
 * is left from that line on is one more invalid record, as the processor quarantines it as one entry. `onValid` hears
 * of each valid record and its line, so that a caller can look across records without reading the file again.
 */
export async function checkBatch(
  chunks: AsyncIterable<Uint8Array>,
  options: {gzip: boolean; size?: number; onValid?: (item: TypedItem, line: number) => void},
): Promise<BatchCheck> {
  const result: BatchCheck = {valid: 0, invalid: 0, problems: []}
  if (options.size !== undefined && options.size > MAX_BATCH_OBJECT_BYTES) {
    const message = `the batch is ${options.size} bytes; the limit is ${MAX_BATCH_OBJECT_BYTES} bytes; split the file`
    return {...result, problems: [{path: '', reason: 'too-large', message}]}
  }
  const note = (problem: BatchProblem) => {
    if (result.problems.length < PROBLEMS_LISTED) {
      result.problems.push(problem)
      return
    }
    result.moreProblems ??= {count: 0, reasons: {}}
    result.moreProblems.count++
    result.moreProblems.reasons[problem.reason] = (result.moreProblems.reasons[problem.reason] ?? 0) + 1
  }
  let record = 0
  try {
    for await (const {line, bytes, size} of batchLines(chunks, {gzip: options.gzip})) {
      record++
      const check = checkRecord(bytes, {line, size})
      if (check.ok) {
        result.valid++
        options.onValid?.(check.item, line)
      } else {
        result.invalid++
        for (const problem of check.problems) note({...problem, record, reason: check.reason})
      }
    }
  } catch (error) {
    // What stopped the reading is listed however many problems came before it.
    const unreadable = `not readable${options.gzip ? ' as gzip' : ''} past record ${record}: ${(error as Error).message}`
    if (!(error instanceof BatchCutShortError)) {
      result.problems.push({path: '', reason: 'invalid-json', message: unreadable})
      return result
    }
    // From the line reading stopped at, the rest is one record: the processor quarantines it as one entry.
    result.invalid++
    const message = error instanceof BatchPastLimitError ? error.message : unreadable
    result.problems.push({path: '', line: error.line, column: 1, reason: error.reason, message})
  }
  return result
}
