import {type PipelineTarget, resource} from '../aws/target.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import type {Progress} from '../progress.js'
import type {RecordProblem} from '../record/check-record.js'
import {type KeyStatus, waitForOutcomes} from '../status/key-status.js'
import {formatProblems} from '../validate-files.js'
import type {UploadPlan} from './plan.js'
import {sendFiles, type SentFile} from './send.js'

export type FileUploadStatus = 'invalid' | 'would-upload' | SentFile['status']

/** One file in `upload`'s result. */
export interface UploadedFile {
  file: string
  key: string
  size: number
  status: FileUploadStatus
  etag?: string
  reason?: string
  errors?: RecordProblem[]
  error?: {code: string; message: string}
  /** With --wait: what became of it. */
  outcome?: KeyStatus
}

export interface UploadSummary {
  files: number
  invalid: number
  uploaded: number
  failed: number
  stored?: number
  quarantined?: number
  pending?: number
}

export interface UploadResult {
  dryRun: boolean
  target?: string
  bucket?: string
  summary: UploadSummary
  files: UploadedFile[]
}

function invalidFiles(plan: UploadPlan): UploadedFile[] {
  return plan.invalid.map(({file, key, body, report}) => ({
    file: file.displayPath,
    key,
    size: body.length,
    status: 'invalid',
    reason: report?.reason,
    errors: report?.errors,
  }))
}

export function dryRunResult(plan: UploadPlan): UploadResult {
  const files: UploadedFile[] = [
    ...invalidFiles(plan),
    ...plan.send.map(({file, key, body}) => ({file: file.displayPath, key, size: body.length, status: 'would-upload' as const})),
  ]
  return {dryRun: true, summary: {files: files.length, invalid: plan.invalid.length, uploaded: 0, failed: 0}, files}
}

/** Sends the valid files and, with `wait`, follows each until it is stored or quarantined. */
export async function runUpload(
  target: PipelineTarget,
  plan: UploadPlan,
  options: {concurrency: number; progress: Progress; wait?: {timeoutMs: number; onSettled: (status: KeyStatus) => void}},
): Promise<UploadResult & {timedOut: boolean}> {
  const bucket = resource(target, 'processingBucket')
  const sent = await sendFiles(target.s3, bucket, plan.send, options)
  options.progress.done()
  const files: UploadedFile[] = [...invalidFiles(plan), ...sent]
  const summary: UploadSummary = {
    files: files.length,
    invalid: plan.invalid.length,
    uploaded: sent.filter((s) => s.status === 'uploaded').length,
    failed: sent.filter((s) => s.status !== 'uploaded').length,
  }
  let timedOut = false
  if (options.wait) {
    const uploaded = files.filter((f) => f.status === 'uploaded')
    const waited = await waitForOutcomes(target, uploaded, {timeoutMs: options.wait.timeoutMs, concurrency: options.concurrency, onSettled: options.wait.onSettled})
    uploaded.forEach((file, index) => (file.outcome = waited.statuses[index]))
    timedOut = waited.timedOut
    summary.stored = waited.statuses.filter((s) => s.state === 'stored').length
    summary.quarantined = waited.statuses.filter((s) => s.state === 'quarantined').length
    summary.pending = uploaded.length - summary.stored - summary.quarantined
  }
  return {dryRun: false, target: target.label, bucket, summary, files, timedOut}
}

/**
 * Exit status: 4 when uploads failed or outcomes did not arrive in time (try again), else 1 when files were invalid
 * or quarantined (the negative answer), else 0.
 */
export function uploadExitStatus(result: UploadResult): ExitCodeValue {
  if (result.summary.failed > 0 || (result.summary.pending ?? 0) > 0) return ExitCode.Aws
  if (result.summary.invalid > 0 || (result.summary.quarantined ?? 0) > 0) return ExitCode.Negative
  return ExitCode.Success
}

/** The invalid files' problems, compiler-style exactly as `validate` prints them. */
export function invalidLines(plan: UploadPlan): string[] {
  return plan.invalid.flatMap((planned) => (planned.report ? formatProblems(planned.report) : []))
}

export function summaryLine(result: UploadResult): string {
  const s = result.summary
  const parts = [`${s.files} ${s.files === 1 ? 'file' : 'files'}`]
  if (result.dryRun) parts.push(`${s.files - s.invalid} would be uploaded`)
  else parts.push(`${s.uploaded} uploaded`)
  if (s.invalid) parts.push(`${s.invalid} invalid (not sent)`)
  if (s.failed) parts.push(`${s.failed} failed`)
  if (s.stored !== undefined) parts.push(`${s.stored} stored`, `${s.quarantined} quarantined`)
  if (s.pending) parts.push(`${s.pending} still in flight`)
  return `${parts.join(', ')}.${result.dryRun ? ' Dry run: nothing was sent.' : ''}`
}
