import type {PipelineTarget} from '#aws/clients.js'
import {type PipelineFlagValues, targetArguments} from '#aws/target-flags.js'
import {interruptedError} from '#core/errors.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {interruptible} from '#core/interrupt.js'
import {createProgress} from '#terminal/progress.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import type {QuarantineEntry, ResolvedArgument} from '#quarantine/entries.js'
import {isSettled, type KeyStatus, recordsIn, waitForOutcomes} from './key-status.js'
import {outcomeLine, waitTimedOutLine} from './status-lines.js'

/** The flags `quarantine release` and `fix` share (see releaseFlags). */
export type ReleaseFlagValues = PipelineFlagValues & {
  yes: boolean
  'dry-run': boolean
  quiet: boolean
  wait: boolean
  timeout: string
}

/** Where the command speaks: the command itself. */
export interface CommandOutput {
  jsonEnabled(): boolean
  log(line: string): void
  logToStderr(line: string): void
}

/**
 * The course of `quarantine release` and `fix`: actOnEntries with `release` (which puts an entry back and returns the
 * upload it made), then, with --wait, each upload followed to its outcome: one line per outcome (only those not
 * stored with --quiet) and the counts. Ctrl-C stops it between steps, saying what is known. Returns the result and the
 * exit status: 4 a release failed or the wait timed out, 1 a record quarantined again (or as actOnEntries says), else 0.
 */
export async function releaseAndFollow(
  target: PipelineTarget,
  resolved: ResolvedArgument[],
  action: {verb: string; pastTense: string; release: (entry: QuarantineEntry) => Promise<{key: string; etag?: string}>},
  options: {
    flags: ReleaseFlagValues
    /** --timeout, parsed where the flags are. */ timeoutMs: number
    output: CommandOutput
  },
): Promise<{result: EntriesActionResult & {outcomes?: KeyStatus[]}; exitStatus: ExitCodeValue}> {
  const {flags, output} = options
  const warn = (line: string) => output.logToStderr(line)
  const released: {key: string; etag?: string}[] = []
  return interruptible(async (signal) => {
    const result = await actOnEntries(
      target,
      resolved,
      {
        verb: action.verb,
        pastTense: action.pastTense,
        act: async (entry) => void released.push(await action.release(entry)),
      },
      {yes: flags.yes, dryRun: flags['dry-run'], quiet: flags.quiet, signal, say: warn, warn},
    )
    if (!flags.wait || released.length === 0) return {result, exitStatus: entriesActionExitStatus(result)}

    const progress = createProgress({
      total: released.length,
      label: 'Processing',
      silent: output.jsonEnabled() || flags.quiet,
    })
    const waited = await waitForOutcomes(target, released, {
      timeoutMs: options.timeoutMs,
      signal,
      onSettled: () => progress.advance(),
    })
    progress.done()
    // A batch's line comes back as a batch of one: its outcome counts its record.
    const records = (state: 'stored' | 'unchanged' | 'quarantined') => recordsIn(waited.statuses, state)
    const inFlight = waited.statuses.filter((status) => !isSettled(status)).length
    const unchanged = records('unchanged') > 0 ? `, ${records('unchanged')} unchanged` : ''
    const summary = `${records('stored')} stored${unchanged}, ${records('quarantined')} quarantined again`
    if (signal.aborted)
      throw interruptedError(`${released.length} released; ${summary}, ${inFlight} not yet processed.`)
    for (const status of waited.statuses)
      if (!flags.quiet || status.state !== 'stored') output.log(outcomeLine(status, targetArguments(flags)))
    output.log(`${released.length} released: ${summary}${waited.timedOut ? `, ${inFlight} still in flight` : ''}.`)
    if (waited.timedOut)
      warn(waitTimedOutLine(flags.timeout, [...released.map(({key}) => key), ...targetArguments(flags)]))
    const exitStatus =
      waited.timedOut || result.failed.length > 0
        ? ExitCode.Aws
        : records('quarantined') > 0
          ? ExitCode.Negative
          : entriesActionExitStatus(result)
    return {result: {...result, outcomes: waited.statuses}, exitStatus}
  })
}
