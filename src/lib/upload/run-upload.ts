import {basename, resolve} from 'node:path'

import {shellCommand} from '#core/shell-words.js'
import {type PipelineTarget, resource} from '#aws/clients.js'
import {explainAwsError} from '#aws/explain-error.js'
import {type Failure, toFailure} from '#core/errors.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import type {Progress} from '#terminal/progress.js'
import {isSettled, type KeyStatus, recordsIn, waitForOutcomes} from '#status/key-status.js'
import {formatProblems} from '#validate/validate-files.js'
import type {PackedFile, Packing} from './pack.js'
import {type PlannedFile, prepareFile} from './plan.js'
import {type UploadedFile, uploadFiles} from './send.js'

export interface UploadSummary {
  /** Files given (with --batch: the single-record files, before packing). */
  files: number
  /** Files refused as invalid, not sent (with --batch: left out of the batches). */
  invalid: number
  /** With --batch: the batch objects the valid files were packed into; uploaded, failed and not attempted count these. */
  batches?: number
  /** Sent (or found already sent and waiting to be processed). */
  uploaded: number
  /**
   * Records already stored exactly so: found before sending (not sent; a batch file's counted one by one), or, with
   * --wait, told so by the pipeline.
   */
  unchanged: number
  failed: number
  /** Not tried because the upload stopped at a failure: run the same command again to send them. */
  notAttempted: number
  /** With --wait, records (a batch file's counted one by one): stored, quarantined, and files still in flight. */
  stored?: number
  /** With --wait and --replace: records that replaced a different stored one. */
  replaced?: number
  quarantined?: number
  pending?: number
}

export interface UploadResult {
  dryRun: boolean
  target?: string
  bucket?: string
  summary: UploadSummary
  files: UploadedFile[]
  /** With --batch: which batch object and line each file's record went to. */
  packed?: PackedFile[]
}

function summarise(files: UploadedFile[]): UploadSummary {
  const count = (status: UploadedFile['status']) => files.filter((f) => f.status === status).length
  return {
    files: files.length,
    invalid: count('invalid'),
    uploaded: count('uploaded'),
    unchanged: files
      .filter((f) => f.status === 'unchanged')
      .reduce((sum, f) => sum + (f.counts ? f.counts.stored + f.counts.unchanged : 1), 0),
    failed: count('failed') + count('in-flight-conflict'),
    notAttempted: count('not-attempted'),
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

/**
 * The failure that stopped an upload, with what to do: check the target (for the local pipeline, `local status`),
 * then run the same command again, which sends only what is not stored yet.
 */
function stoppedBy(failure: Failure, target: PipelineTarget): Failure {
  const check = target.local
    ? 'Check that the local pipeline is running: eventpulse local status (start it with: eventpulse local start).'
    : failure.hint
  return {
    ...failure,
    message: `The upload stopped: ${failure.message}`,
    hint: [check, 'Then run the same command again: records already stored are reported unchanged and not sent twice.']
      .filter(Boolean)
      .join('\n'),
  }
}

/**
 * Checks and sends the files and, with `wait`, follows each sent one until it is stored, unchanged or quarantined.
 * A failure of the target part-way does not throw: every file is reported, and the failure comes beside them.
 */
export async function runUpload(
  target: PipelineTarget,
  planned: PlannedFile[],
  options: {
    validate: boolean
    force?: boolean
    /** Uploads go under REPLACE_PREFIX (the keys say so), signed by `requestedBy`: count what they replaced. */
    replace?: boolean
    requestedBy?: string
    progress: Progress
    wait?: {timeoutMs: number; progress: (total: number) => Progress}
    /** Ctrl-C: no more files are sent, and the waiting stops. */
    signal?: AbortSignal
  },
): Promise<UploadResult & {timedOut: boolean; failure?: Failure}> {
  const bucket = resource(target, 'processingBucket')
  const sent = await uploadFiles(target, planned, {...options, force: options.force ?? false})
  options.progress.done()
  const {files} = sent
  let failure = sent.failure
  const summary = summarise(files)
  let timedOut = false
  if (options.wait && !failure && !options.signal?.aborted) {
    const uploaded = files.filter((f) => f.status === 'uploaded')
    const progress = options.wait.progress(uploaded.length)
    // As each settles, so that a poll failing later (the target gone) loses nothing learnt.
    let statuses: (KeyStatus | undefined)[] = []
    try {
      const waited = await waitForOutcomes(target, uploaded, {
        timeoutMs: options.wait.timeoutMs,
        signal: options.signal,
        onSettled: (status, index) => {
          statuses[index] = status
          progress.advance()
        },
      })
      statuses = waited.statuses
      timedOut = waited.timedOut
    } catch (error) {
      failure = toFailure(explainAwsError(error))
    }
    progress.done()
    uploaded.forEach((file, index) => (file.outcome = statuses[index] ?? {key: file.key, state: 'in-flight'}))
    // A batch object counts by its records: what became of each.
    const outcomes = uploaded.map((file) => file.outcome!)
    summary.stored = recordsIn(outcomes, 'stored')
    if (options.replace) summary.replaced = recordsIn(outcomes, 'replaced')
    summary.quarantined = recordsIn(outcomes, 'quarantined')
    summary.unchanged += recordsIn(outcomes, 'unchanged')
    summary.pending = outcomes.filter((outcome) => !isSettled(outcome)).length
  }
  return {
    dryRun: false,
    target: target.label,
    bucket,
    summary,
    files,
    timedOut,
    failure: failure && stoppedBy(failure, target),
  }
}

/**
 * Exit status: the failure's when the upload stopped (4 for AWS and network, 3 for credentials); 4 when uploads
 * failed or outcomes did not arrive in time (try again); else 1 when files were invalid or quarantined (the negative
 * answer); else 0. Unchanged records are a success: they are stored.
 */
export function uploadExitStatus(result: UploadResult & {failure?: Failure}): ExitCodeValue {
  if (result.failure) return result.failure.exitCode as ExitCodeValue
  // An in-flight conflict is counted as failed, but it is a conflict to retry once the earlier upload is processed.
  const conflicts = result.files.filter((file) => file.status === 'in-flight-conflict').length
  if (result.summary.failed > conflicts || (result.summary.pending ?? 0) > 0) return ExitCode.Aws
  if (conflicts > 0 || result.summary.invalid > 0 || (result.summary.quarantined ?? 0) > 0) return ExitCode.Negative
  return ExitCode.Success
}

/** Keys named in a warning about the keys of an upload; the rest are counted. */
const KEYS_NAMED = 5

/** The first KEYS_NAMED of `names`, then how many more there are. */
const fewNamed = (names: string[]): string[] =>
  names.length > KEYS_NAMED ? [...names.slice(0, KEYS_NAMED), `and ${names.length - KEYS_NAMED} more`] : names

/**
 * The warning for files sent under keys an earlier upload used for another version of their records (found by the
 * look-up before sending): keys are paths below the folder uploaded, so two folders of one layout share them. A few
 * keys named, the count, and the ways apart: a prefix per folder (named after the folder of the first such file),
 * --replace for records meant to change.
 */
export function keysUsedBeforeWarning(planned: PlannedFile[], files: UploadedFile[]): string | undefined {
  const reused = files.filter((file) => file.keyUsedBefore)
  if (reused.length === 0) return undefined
  const first = planned.find((entry) => entry.key === reused[0].key)!.file
  const folder = basename(resolve(first.displayPath.slice(0, first.displayPath.length - first.relativePath.length)))
  const named = fewNamed(reused.map((file) => file.key))
  return (
    `${reused.length === 1 ? '1 file was' : `${reused.length} files were`} sent under keys an earlier upload used ` +
    `for another version of the same records (${named.join(', ')}): keys are paths below the folder uploaded, so ` +
    'folders of one layout share them. Each such record is quarantined as a duplicate of the stored one (send ' +
    `changes with --replace). Upload each folder under its own prefix, e.g. --prefix ${folder}/.`
  )
}

/**
 * The warning for files sent with another version of a record stored from another key (found by the look-up before
 * sending): each will be quarantined as a duplicate. A few named with where their stored version came from, the count,
 * and the ways on: --replace for records meant to change, `quarantine accept` for one already quarantined.
 */
export function storedFromOtherKeysWarning(files: UploadedFile[]): string | undefined {
  const differing = files.filter((file) => file.storedFrom)
  if (differing.length === 0) return undefined
  const named = fewNamed(
    differing.map((file) => `${file.key}, stored from ${file.storedFrom!.sourceKey ?? 'an unknown key'}`),
  )
  return (
    `${differing.length === 1 ? '1 file holds' : `${differing.length} files hold`} another version of a record ` +
    `stored from another key (${named.join('; ')}): the pipeline quarantines each as a duplicate of the stored one. ` +
    'Send changes with --replace; accept one already quarantined with eventpulse quarantine accept.'
  )
}

/** --batch: the files left out of the batches as invalid are reported too, and where each packed file went. */
export function withPacking<T extends UploadResult>(result: T, packing: Packing | undefined): T {
  if (!packing) return result
  const {invalid, packed} = packing
  const summary = {
    ...result.summary,
    files: packed.length + invalid.length,
    invalid: result.summary.invalid + invalid.length,
    batches: result.summary.files,
  }
  return {...result, summary, files: [...invalid, ...result.files], packed: packing.packed}
}

/**
 * Why a file was not sent: its record is already stored exactly so; for a batch file, all its records are, or the same
 * upload (key + ETag) was processed before, whose counts are that run's, not what has become of the entries since.
 */
export function unchangedLine(file: UploadedFile, target: string[] = []): string {
  const {counts, processedAt} = file
  let why = 'already stored exactly so'
  if (counts && processedAt)
    why =
      `processed before exactly so, ${processedAt}; counts of that run: ${counts.records} records, ` +
      `${counts.stored} stored, ${counts.unchanged} unchanged, ${counts.quarantined} quarantined` +
      (counts.quarantined > 0
        ? `; in quarantine now: ${shellCommand(['eventpulse', 'quarantine', 'list', '--prefix', `${file.key}/`, ...target])}`
        : '')
  else if (counts) why = `all ${counts.records} records already stored exactly so`
  return `unchanged    ${file.key}  (${why}; not sent)`
}

/** A batch file sent again with --force after it was processed exactly so: its outcome is that earlier run's. */
export function sentAgainLine(file: UploadedFile): string {
  return `note         ${file.key}  (processed before exactly so, ${file.processedAt}, and sent again: its counts are that run's)`
}

/** The invalid files' problems, compiler-style exactly as `validate` prints them. */
export function invalidLines(files: UploadedFile[]): string[] {
  return files
    .filter((f) => f.status === 'invalid')
    .flatMap((f) => [
      ...formatProblems({file: f.file, valid: false, reason: f.reason, errors: f.errors ?? []}),
      ...refusedBatchNote(f),
    ])
}

/** A batch file refused for its bad lines: how many there are, and the way to send it all the same. */
function refusedBatchNote(file: UploadedFile): string[] {
  const lines = (file.errors ?? []).flatMap((problem) =>
    'record' in problem && problem.record ? [problem.record] : [],
  )
  const bad = new Set(lines).size
  if (bad === 0) return []
  return [
    `${file.file}: ${bad} bad ${bad === 1 ? 'line' : 'lines'}, so the whole file was not sent; --no-validate sends ` +
      'it anyway (the pipeline stores the good lines and quarantines each bad one on its own).',
  ]
}

/**
 * The last line: files, what became of them and, with --wait, of their records. With --batch, in three labelled
 * parts, for the three things counted: the files given, the batch objects sent, the records in them.
 */
export function summaryLine(result: UploadResult): string {
  const s = result.summary
  const files = `${s.files} ${s.files === 1 ? 'file' : 'files'}`
  const sent = result.dryRun ? `${s.batches ?? s.files - s.invalid} would be uploaded` : `${s.uploaded} uploaded`
  const failures = [s.failed ? `${s.failed} failed` : '', s.notAttempted ? `${s.notAttempted} not attempted` : '']
  const unchanged = s.unchanged ? `${s.unchanged} unchanged (already stored)` : ''
  const invalid = s.invalid ? `${s.invalid} invalid (not sent)` : ''
  const outcomes = [
    s.replaced === undefined ? '' : `${s.replaced} replaced`,
    ...(s.stored === undefined ? [] : [`${s.stored} stored`, `${s.quarantined} quarantined`]),
    s.pending ? `${s.pending} still in flight` : '',
  ]
  const list = (parts: string[]) => parts.filter(Boolean).join(', ')
  const dryRun = result.dryRun ? ' Dry run: nothing was sent.' : ''
  if (s.batches === undefined) return `${list([files, sent, unchanged, invalid, ...failures, ...outcomes])}.${dryRun}`
  const packed = `${s.files - s.invalid} packed into ${s.batches} batch ${s.batches === 1 ? 'object' : 'objects'}`
  const records = list([unchanged, ...outcomes])
  return (
    `${files}: ${list([invalid, packed])}; batch objects: ${list([sent, ...failures])}` +
    `${records ? `; records: ${records}` : ''}.${dryRun}`
  )
}
