import {expandInputs, type InputFile, inputChunks, inputSize, readInput} from '#files/input-files.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import {type BatchProblem, checkBatch, type MoreProblems} from '#record/check-batch.js'
import {checkRecord, type RecordCheck, type RecordProblem} from '#record/check-record.js'
import {isBatchName, isGzipName} from '#contract/batch-names.js'

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

/** A batch file's verdict, streamed from disk (or standard input): valid when every record is. */
export async function batchReport(file: InputFile): Promise<FileReport> {
  const gzip = isGzipName(file.relativePath)
  const {valid, invalid, problems, moreProblems} = await checkBatch(inputChunks(file), {
    gzip,
    size: await inputSize(file),
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
 * Checks every file with the pipeline's own record check, reports in the order given. Files are read synchronously:
 * for files this small that is several times faster than async reads. (A second thread sharing the work was tried
 * and measured: no faster on two cores, as opening files dominates; bench/validate.ts shows the figures.)
 */
export async function validateFiles(files: InputFile[]): Promise<FileReport[]> {
  const reports: FileReport[] = new Array(files.length)
  for (const [index, file] of files.entries()) {
    reports[index] = isBatchFile(file) ? await batchReport(file) : reportFor(file, checkRecord(await readInput(file)))
  }
  return reports
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
}

/** `validate` itself: expand the paths, check every file, sum up. */
export async function validatePaths(paths: string[]): Promise<ValidationResult> {
  const files = await validateFiles(await expandInputs(paths))
  return {summary: summarise(files), files}
}

/** What `validate` prints without --json: the problems, then the summary. */
export function validationLines(result: ValidationResult): string[] {
  return [
    ...result.files.flatMap((report) => [...formatProblems(report), formatRecordCounts(report) ?? []].flat()),
    formatSummary(result.summary),
  ]
}
