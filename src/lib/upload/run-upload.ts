import {type PipelineTarget, resource} from '#aws/clients.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import type {Progress} from '#terminal/progress.js'
import {waitForOutcomes} from '#status/key-status.js'
import {formatProblems} from '#validate/validate-files.js'
import {type PlannedFile, prepareFile} from './plan.js'
import {type UploadedFile, uploadFiles} from './send.js'

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

function summarise(files: UploadedFile[]): UploadSummary {
  const count = (status: UploadedFile['status']) => files.filter((f) => f.status === status).length
  return {
    files: files.length,
    invalid: count('invalid'),
    uploaded: count('uploaded'),
    failed: count('failed') + count('in-flight-conflict'),
  }
}

/** --dry-run: every file checked, nothing sent. */
export async function dryRun(planned: PlannedFile[], options: {validate: boolean}): Promise<UploadResult> {
  const files: UploadedFile[] = []
  for (const entry of planned) {
    const {body, report} = await prepareFile(entry, options.validate)
    const described = {file: entry.file.displayPath, key: entry.key, size: body.length}
    files.push(
      report && !report.valid
        ? {...described, status: 'invalid', reason: report.reason, errors: report.errors}
        : {...described, status: 'would-upload'},
    )
  }
  return {dryRun: true, summary: summarise(files), files}
}

/** Checks and sends the files and, with `wait`, follows each sent one until it is stored or quarantined. */
export async function runUpload(
  target: PipelineTarget,
  planned: PlannedFile[],
  options: {
    validate: boolean
    progress: Progress
    wait?: {timeoutMs: number; progress: (total: number) => Progress}
    /** Ctrl-C: no more files are sent, and the waiting stops (files not sent are left out of the result). */
    signal?: AbortSignal
  },
): Promise<UploadResult & {timedOut: boolean}> {
  const bucket = resource(target, 'processingBucket')
  const files = await uploadFiles(target.s3, bucket, planned, {...options, concurrency: target.concurrency})
  options.progress.done()
  const summary = summarise(files)
  let timedOut = false
  if (options.wait && !options.signal?.aborted) {
    const uploaded = files.filter((f) => f.status === 'uploaded')
    const progress = options.wait.progress(uploaded.length)
    const waited = await waitForOutcomes(target, uploaded, {
      timeoutMs: options.wait.timeoutMs,
      signal: options.signal,
      onSettled: () => progress.advance(),
    })
    progress.done()
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
export function invalidLines(files: UploadedFile[]): string[] {
  return files
    .filter((f) => f.status === 'invalid')
    .flatMap((f) => formatProblems({file: f.file, valid: false, reason: f.reason, errors: f.errors ?? []}))
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
