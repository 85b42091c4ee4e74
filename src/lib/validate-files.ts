import {readFileSync} from 'node:fs'
import {Worker} from 'node:worker_threads'

import {expandInputs, type InputFile, readInput} from './input-files.js'
import type {QuarantineReason} from './pipeline-contract.js'
import {checkRecord, type RecordCheck, type RecordProblem} from './record/check-record.js'

/** The verdict on one file, as `validate` prints it and `upload` uses it. */
export interface FileReport {
  file: string
  valid: boolean
  reason?: QuarantineReason
  errors: RecordProblem[]
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

/** Below this many files a second thread costs more to start than it saves. */
const PARALLEL_FROM_FILES = 2000

/** Checks files from a shared work queue: each thread takes the next index until none is left. */
export function checkFromQueue(files: InputFile[], queue: Int32Array, onReport: (index: number, report: FileReport) => void): void {
  for (let index = Atomics.add(queue, 0, 1); index < files.length; index = Atomics.add(queue, 0, 1)) {
    onReport(index, reportFor(files[index], checkRecord(readFileSync(files[index].absolutePath!))))
  }
}

/**
 * Checks every file with the pipeline's own record check, reports in the order given. Many small files are
 * read synchronously (far faster than async reads for files this size) on two threads sharing one queue.
 */
export async function validateFiles(files: InputFile[]): Promise<FileReport[]> {
  const reports: FileReport[] = new Array(files.length)
  const stdinIndex = files.findIndex((file) => file.absolutePath === undefined)
  if (stdinIndex !== -1) reports[stdinIndex] = reportFor(files[stdinIndex], checkRecord(await readInput(files[stdinIndex])))
  const onDisk = files.filter((file) => file.absolutePath !== undefined)
  const indexes = files.flatMap((file, index) => (file.absolutePath === undefined ? [] : [index]))
  const queue = new Int32Array(new SharedArrayBuffer(4))
  const collect = (index: number, report: FileReport) => {
    reports[indexes[index]] = report
  }
  const helper = onDisk.length >= PARALLEL_FROM_FILES ? startHelperThread(onDisk, queue) : undefined
  checkFromQueue(onDisk, queue, collect)
  for (const [index, report] of (await helper) ?? []) collect(index, report)
  return reports
}

function startHelperThread(files: InputFile[], queue: Int32Array): Promise<[number, FileReport][]> {
  const worker = new Worker(new URL('validate-worker.js', import.meta.url), {workerData: {files, queue}})
  return new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
}

/** Compiler-style lines, `file:line:column  message [reason]`, that editors and CI annotate. */
export function formatProblems(report: FileReport): string[] {
  return report.errors.map((problem) => {
    const where = problem.line === undefined ? report.file : `${report.file}:${problem.line}:${problem.column}`
    return `${where}  ${problem.message} [${report.reason}]`
  })
}

export function summarise(reports: FileReport[]): ValidationSummary {
  const valid = reports.filter((r) => r.valid).length
  return {checked: reports.length, valid, invalid: reports.length - valid}
}

export function formatSummary(summary: ValidationSummary): string {
  const files = summary.checked === 1 ? 'file' : 'files'
  return `Checked ${summary.checked} ${files}: ${summary.valid} valid, ${summary.invalid} invalid.`
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
  return [...result.files.flatMap((report) => formatProblems(report)), formatSummary(result.summary)]
}
