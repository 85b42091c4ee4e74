import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {expandInputs, type InputFile, inputChunks, inputSize, readInput} from '#files/input-files.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import {type BatchProblem, checkBatch, type MoreProblems} from '#record/check-batch.js'
import {checkRecord, type RecordCheck, type RecordProblem} from '#record/check-record.js'
import {isBatchName, isGzipName} from '#contract/batch-names.js'
import type {TypedItem} from '#record/typed-item.js'
import {sameKeyCount, sameKeyFinder, sameKeyLines, type SameKeyPair} from './same-key.js'

/** The verdict on one file, as `validate` prints it and `upload` uses it. */
export interface FileReport {
  file: string
  valid: boolean
  reason?: QuarantineReason
  /** A batch file's problems each carry their record's number and reason: the first ones of a batch file only. */
  errors: (RecordProblem | BatchProblem)[]
  /** A batch file's problems past those in `errors`, counted by reason. */
  moreProblems?: MoreProblems
  /** A batch file (many records, one per line): how many of its records are valid and invalid. */
  records?: {valid: number; invalid: number}
}

export interface ValidationSummary {
  checked: number
  valid: number
  invalid: number
}

export function reportFor(file: InputFile, check: RecordCheck): FileReport {
  return check.ok
    ? {file: file.displayPath, valid: true, errors: []}
    : {file: file.displayPath, valid: false, reason: check.reason, errors: check.problems}
}

/**
 * A batch file's verdict, streamed from disk (or standard input): valid when every record is. `onValid` hears of each
 * valid record and its line.
 */
export async function batchReport(
  file: InputFile,
  onValid?: (item: TypedItem, line: number) => void,
): Promise<FileReport> {
  const gzip = isGzipName(file.relativePath)
  const {valid, invalid, problems, moreProblems} = await checkBatch(inputChunks(file), {
    gzip,
    size: await inputSize(file),
    onValid,
  })
  const ok = invalid === 0 && problems.length === 0
  return {
    file: file.displayPath,
    valid: ok,
    ...(ok ? {} : {reason: problems[0].reason}),
    errors: problems,
    ...(moreProblems ? {moreProblems} : {}),
    records: {valid, invalid},
  }
}

export const isBatchFile = (file: InputFile): boolean => isBatchName(file.relativePath)

/**
 * Checks every file with the pipeline's own record check, reports in the order given, and, in the same pass, finds the
 * valid records that share an ArtistID + ItemID in other content (where: the file, or file:line in a batch file).
 * Files are read synchronously: for files this small that is several times faster than async reads. (A second
 * thread sharing the work was tried and measured: no faster on two cores, as opening files dominates;
 * bench/validate.ts shows the figures.)
 */
export async function validateFiles(files: InputFile[]): Promise<{files: FileReport[]; sameKey: SameKeyPair[]}> {
  const reports: FileReport[] = new Array(files.length)
  const sameKey = sameKeyFinder()
  for (const [index, file] of files.entries()) {
    if (isBatchFile(file)) {
      reports[index] = await batchReport(file, (item, line) => sameKey.add(`${file.displayPath}:${line}`, item))
      continue
    }
    const check = checkRecord(await readInput(file))
    if (check.ok) sameKey.add(file.displayPath, check.item)
    reports[index] = reportFor(file, check)
  }
  return {files: reports, sameKey: sameKey.pairs}
}

/**
 * Compiler-style lines, `file:line:column  message [reason]`, that editors and CI annotate; then how many more
 * problems there are, when only the first ones are listed.
 */
export function formatProblems(report: FileReport): string[] {
  const lines = report.errors.map((problem) => {
    const where = problem.line === undefined ? report.file : `${report.file}:${problem.line}:${problem.column}`
    const record = 'record' in problem && problem.record !== undefined ? `record ${problem.record}: ` : ''
    const reason = 'reason' in problem ? problem.reason : report.reason
    return `${where}  ${record}${problem.message} [${reason}]`
  })
  if (!report.moreProblems) return lines
  const {count, reasons} = report.moreProblems
  const byReason = Object.entries(reasons).map(([reason, n]) => `${n} ${reason}`)
  return [...lines, `${report.file}: ${count} more problems not shown (${byReason.join(', ')}).`]
}

export function summarise(reports: FileReport[]): ValidationSummary {
  const valid = reports.filter((r) => r.valid).length
  return {checked: reports.length, valid, invalid: reports.length - valid}
}

export function formatSummary(summary: ValidationSummary): string {
  const files = summary.checked === 1 ? 'file' : 'files'
  return `Checked ${summary.checked} ${files}: ${summary.valid} valid, ${summary.invalid} invalid.`
}

/** A batch file's own verdict line: how many of its records are valid and invalid. */
export function formatRecordCounts(report: FileReport): string | undefined {
  if (!report.records) return undefined
  const {valid, invalid} = report.records
  return `${report.file}: ${valid + invalid} records, ${valid} valid, ${invalid} invalid${report.valid ? '' : ' (file invalid)'}.`
}

export interface ValidationResult {
  summary: ValidationSummary
  files: FileReport[]
  /** Valid records with the same ArtistID + ItemID and different content, in different files or lines. */
  sameKey: SameKeyPair[]
}

/** `validate` itself: expand the paths, check every file, sum up. */
export async function validatePaths(paths: string[]): Promise<ValidationResult> {
  const {files, sameKey} = await validateFiles(await expandInputs(paths))
  return {summary: summarise(files), files, sameKey}
}

/** Exit 1 when a file is invalid or records share an ArtistID + ItemID in other content (a problem of the set). */
export const validationStatus = (result: ValidationResult): ExitCodeValue =>
  result.summary.invalid > 0 || result.sameKey.length > 0 ? ExitCode.Negative : ExitCode.Success

/**
 * Same-key pairs, a problem of the set of files rather than of one file: both places of each, what the pipeline would
 * do with them, and the way on.
 */
function sameKeyProblem(pairs: SameKeyPair[]): string[] {
  if (pairs.length === 0) return []
  return [
    `${sameKeyCount(pairs)} ${pairs.length === 1 ? 'have' : 'each have'} the same ArtistID + ItemID and different ` +
      'content: uploaded together, which of each pair the pipeline kept would be chance; keep the right one.',
    ...sameKeyLines(pairs).map((line) => `  ${line}`),
  ]
}

/** What `validate` prints without --json: the problems of each file, those of the set, then the summary. */
export function validationLines(result: ValidationResult): string[] {
  return [
    ...result.files.flatMap((report) => [...formatProblems(report), formatRecordCounts(report) ?? []].flat()),
    ...sameKeyProblem(result.sameKey),
    formatSummary(result.summary),
  ]
}
