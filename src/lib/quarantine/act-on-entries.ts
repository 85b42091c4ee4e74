import type {PipelineTarget} from '#aws/clients.js'
import {mapConcurrently} from '#core/concurrency.js'
import {confirmOrRefuse} from '#terminal/confirm.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {CliError, interruptedError} from '#core/errors.js'
import type {QuarantineEntry, ResolvedArgument} from './entries.js'
import {entryLine, splitResolved} from './entry-lines.js'

export interface EntriesActionResult {
  /** Entry keys acted on. */
  done: string[]
  /** Arguments that named nothing in quarantine. */
  missing: string[]
  /** Entries the action failed on, with why; `conflict`: a conflict to retry later (an upload of the key in flight). */
  failed: {key: string; message: string; conflict?: true}[]
  dryRun: boolean
  declined: boolean
}

export interface EntriesAction {
  /** "delete", "release": for the question and the messages. */
  verb: string
  pastTense: string
  /** Said with the question, e.g. that the action cannot be undone. */
  caution?: string
  /** Lines shown under each entry in the list (e.g. what accepting it changes). */
  details?: (entry: QuarantineEntry) => string[]
  act: (entry: QuarantineEntry) => Promise<void>
}

/**
 * The shared course of `quarantine rm` and `release`: report what is missing (never asked about), list what will be
 * acted on, ask (unless --yes; refuse without a terminal), then act on each entry, recording failures per entry.
 * With `quiet`, the entries are listed only when the user is asked about them. Ctrl-C (`signal`) stops it between
 * entries, with a note of how many were done.
 */
export async function actOnEntries(
  target: PipelineTarget,
  resolved: ResolvedArgument[],
  action: EntriesAction,
  options: {
    yes: boolean
    dryRun: boolean
    quiet?: boolean
    signal?: AbortSignal
    say: (line: string) => void
    warn: (line: string) => void
  },
): Promise<EntriesActionResult> {
  const {entries, missing} = splitResolved(resolved)
  for (const argument of missing) options.warn(`not in quarantine: ${argument}`)
  const result: EntriesActionResult = {done: [], missing, failed: [], dryRun: options.dryRun, declined: false}
  if (entries.length === 0) return result
  const count = `${entries.length} quarantine ${entries.length === 1 ? 'entry' : 'entries'}`
  const heading = `${options.dryRun ? 'Would ' + action.verb : capitalise(action.verb)} ${count}`
  if (!options.quiet || !(options.yes || options.dryRun)) {
    options.say(`${heading}:`)
    for (const entry of entries) {
      options.say(`  ${entryLine(entry)}`)
      for (const line of action.details?.(entry) ?? []) options.say(`      ${line}`)
    }
  } else if (options.dryRun) options.say(`${heading}.`)
  if (options.dryRun) return result
  if (
    !(await confirmOrRefuse(`${capitalise(action.verb)} ${count}${action.caution ? ` (${action.caution})` : ''}?`, {
      yes: options.yes,
      action: `${action.verb} quarantined objects`,
    }))
  ) {
    options.say(`Nothing ${action.pastTense}.`)
    return {...result, declined: true}
  }
  await mapConcurrently(entries, {limit: target.concurrency, signal: options.signal}, async (entry) => {
    try {
      await action.act(entry)
      result.done.push(entry.key)
    } catch (error) {
      const conflict = error instanceof CliError && error.exitCode === ExitCode.Negative
      result.failed.push({key: entry.key, message: (error as Error).message, ...(conflict ? {conflict} : {})})
    }
  })
  for (const failure of result.failed) options.warn(`failed to ${action.verb} ${failure.key}: ${failure.message}`)
  const outcome = `${action.pastTense} ${result.done.length} of ${count}`
  if (options.signal?.aborted) throw interruptedError(`${outcome}; the others are left as they were.`)
  options.say(`${capitalise(outcome)}.`)
  return result
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** 4 if any entry failed, 1 if something named was missing, the user declined or an entry met a conflict, else 0. */
export function entriesActionExitStatus(result: EntriesActionResult): ExitCodeValue {
  if (result.failed.some((failure) => !failure.conflict)) return ExitCode.Aws
  if (result.failed.length > 0 || result.missing.length > 0 || result.declined) return ExitCode.Negative
  return ExitCode.Success
}
