import type {QuarantineReason} from '../pipeline-contract.js'

/** A DynamoDB-typed item as stored: attribute name to AttributeValue (only S, N and L of S occur). */
export type TypedValue = {S: string} | {N: string} | {L: TypedValue[]}
export type TypedItem = Record<string, TypedValue>

/** One thing wrong with a record, located in its source text where that can be known. */
export interface RecordProblem {
  /** JSON pointer into the record as written (e.g. /Features/1), '' for the whole record. */
  path: string
  /** 1-based position of the offending value or syntax error; absent when the text gives none (e.g. an empty file). */
  line?: number
  column?: number
  message: string
}

export type RecordCheck =
  | {ok: true; item: TypedItem; itemBytes: number}
  | {ok: false; reason: QuarantineReason; problems: RecordProblem[]}

