import {isUtf8} from 'node:buffer'
import {basename} from 'node:path'

import type {ChalkInstance} from 'chalk'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {type AttributeChange, recordChanges} from '#record/changes.js'
import type {RecordCheck} from '#record/check-record.js'
import type {TypedItem} from '#record/typed-item.js'
import {CTRL_C_KEY} from '#terminal/keypress.js'
import type {QuarantineEntry} from './entries.js'
import {checkMended} from './mend.js'
import {
  ACTIONS,
  type ActionKey,
  changesAgainstStored,
  header,
  helpLines,
  keysLine,
  recordLines,
  recordText,
  type ReviewOutcome,
  type ReviewSummary,
  noOutcomes,
} from './review-screen.js'

/** What the review acts with: the pipeline's actions on one entry, and the terminal. Tests give their own. */
export interface ReviewDeps {
  read(entry: QuarantineEntry): Promise<Buffer>
  /** The item stored under the record's ArtistID + ItemID (typed), for a duplicate; undefined when there is none. */
  stored(item: TypedItem): Promise<Record<string, unknown> | undefined>
  release(entry: QuarantineEntry): Promise<void>
  /** Releases a mended record (already checked) in place of the entry. */
  mend(entry: QuarantineEntry, mended: Buffer): Promise<void>
  remove(entry: QuarantineEntry): Promise<void>
  /** Accepts a duplicate (as `quarantine accept`), returning what it did in words; a conflict throws. */
  accept(entry: QuarantineEntry): Promise<string>
  readKey(keys: readonly string[]): Promise<string>
  edit(content: string | Uint8Array, name: string): Promise<Buffer>
  print(line: string): void
  style: ChalkInstance
  now(): Date
  /** Aborted by Ctrl-C during a step: the review stops once that step is done. */
  signal: AbortSignal
  retentionDays: number
}

interface EntryView {
  entry: QuarantineEntry
  text: string
  check: RecordCheck
  /** A duplicate's change against the stored item; undefined: nothing stored. */
  changes?: AttributeChange[]
}

/** The record as shown, and checked as shown, so that every problem points into the text on the screen. */
async function viewOf(entry: QuarantineEntry, deps: ReviewDeps): Promise<EntryView> {
  const content = await deps.read(entry)
  // Bytes that are not UTF-8 are shown as they are, and checked as they are, so that the check says where.
  const text = isUtf8(content) ? recordText(content) : content.toString('utf8')
  const check = checkMended(entry, isUtf8(content) ? Buffer.from(text) : content)
  const duplicate = entry.reason === 'duplicate' && check.ok
  const stored = duplicate ? await deps.stored(check.item) : undefined
  return {entry, text, check, changes: stored && check.ok ? recordChanges(stored, check.item) : undefined}
}

function screen(view: EntryView, position: {index: number; total: number}, deps: ReviewDeps): string[] {
  const {entry, check} = view
  const {style} = deps
  const lines = ['', ...header(position, entry, deps.now(), style), '']
  if (view.text.trim() === '') lines.push(style.dim('(no content)'))
  else lines.push(...recordLines(view.text, check.ok ? [] : check.problems, style))
  if (check.ok && entry.reason !== 'duplicate' && entry.message)
    lines.push('', style.dim(`Quarantined: ${entry.message} (it passes the record check now)`))
  if (entry.reason === 'duplicate' && check.ok) lines.push('', ...changesAgainstStored(view.changes, style))
  return lines
}

const keysFor = (view: EntryView): ActionKey[] =>
  view.entry.reason === 'duplicate' ? ['e', 'a', 'r', 'd', 's', 'q', '?'] : ['e', 'r', 'd', 's', 'q', '?']

/** A name for the file the editor opens: the source key's own name, or the batch's with the line. */
function editName(entry: QuarantineEntry): string {
  const name = basename(entry.sourceKey).replace(/\.(ndjson|jsonl|json)(\.gz)?$/i, '')
  return `${name || 'record'}${entry.line === undefined ? '' : `-line-${entry.line}`}.json`
}

/** What one key led to: an outcome for the entry, the same entry's keys again, or the end of the walk. */
type Step = {outcome: ReviewOutcome; said: string} | 'again' | 'quit' | 'interrupted'

/**
 * The triage loop of `quarantine review`: shows each entry in turn (key, reason, age; the record with its problems
 * pointed at; a duplicate's change against the stored item), reads one key, acts, and goes on to the next, until the
 * last entry, `q` or Ctrl-C. Returns what was done, counted per action (summaryLine says it). Steps that fail are
 * said and counted; the walk goes on.
 */
export async function review(entries: QuarantineEntry[], deps: ReviewDeps): Promise<ReviewSummary> {
  const summary: ReviewSummary = {total: entries.length, reviewed: 0, counts: noOutcomes()}
  const {style} = deps
  for (const [index, entry] of entries.entries()) {
    const view = await viewOf(entry, deps)
    for (const line of screen(view, {index, total: entries.length}, deps)) deps.print(line)
    let step: Step = 'again'
    while (step === 'again') {
      deps.print(keysLine(keysFor(view), style))
      // Every action's key is read, so that \`a\` on an entry that is not a duplicate says why it does nothing.
      const key = await deps.readKey(Object.keys(ACTIONS))
      step = await act(key, view, deps)
    }
    if (step === 'quit' || step === 'interrupted') {
      summary.stopped = step
      break
    }
    summary.reviewed++
    summary.counts[step.outcome]++
    deps.print(step.outcome === 'failed' || step.outcome === 'refused' ? style.red(step.said) : style.green(step.said))
    if (deps.signal.aborted) {
      summary.stopped = 'interrupted'
      break
    }
  }
  return summary
}

async function act(key: string, view: EntryView, deps: ReviewDeps): Promise<Step> {
  const {entry} = view
  switch (key) {
    case 'q':
      return 'quit'
    case CTRL_C_KEY:
      // Raw mode turns Ctrl-C into a key: it stops the review as SIGINT would.
      return 'interrupted'
    case '?':
      for (const line of helpLines(deps.retentionDays)) deps.print(deps.style.dim(line))
      return 'again'
    case 's':
      return {outcome: 'skipped', said: 'Skipped.'}
    case 'r':
      return attempt(
        () => deps.release(entry),
        'released',
        `Released: back under ${entry.sourceKey}, to be processed again.`,
      )
    case 'd':
      return attempt(
        () => deps.remove(entry),
        'deleted',
        `Deleted (recoverable for ${deps.retentionDays} days; quarantine rm --purge removes every version).`,
      )
    case 'a':
      if (entry.reason !== 'duplicate') {
        deps.print('Accept replaces a stored item with a duplicate: this entry is not a duplicate.')
        return 'again'
      }
      return attempt(() => deps.accept(entry), 'accepted')
    case 'e':
      return editUntilValid(view, deps)
    default:
      return 'again'
  }
}

/** Runs one action on the entry: its outcome and what to say, or `refused` (a negative answer) or `failed`, and why. */
async function attempt(
  action: () => Promise<string | void>,
  outcome: ReviewOutcome,
  said = '',
): Promise<{outcome: ReviewOutcome; said: string}> {
  try {
    const done = await action()
    return {outcome, said: done || said}
  } catch (error) {
    const hint = error instanceof CliError && error.hint ? ` ${error.hint}` : ''
    const refused = error instanceof CliError && error.exitCode === ExitCode.Negative
    return {
      outcome: refused ? 'refused' : 'failed',
      said: `${refused ? 'Refused' : 'Failed'}: ${(error as Error).message}${hint}`,
    }
  }
}

/**
 * `e`: the record in the editor until it passes the record check, then released in place of the entry. Still invalid:
 * the problems, pointed at in the saved text, and the choice to edit again or go back to the entry (the edit dropped).
 */
async function editUntilValid(view: EntryView, deps: ReviewDeps): Promise<Step> {
  const {entry} = view
  const {style} = deps
  let content: string | Uint8Array = view.text
  for (;;) {
    let saved: Buffer
    try {
      saved = await deps.edit(content, editName(entry))
    } catch (error) {
      deps.print(style.red((error as Error).message))
      return 'again'
    }
    const check = checkMended(entry, saved)
    if (check.ok)
      return attempt(
        () => deps.mend(entry, saved),
        'mended',
        `Released the mended record under ${entry.sourceKey}${entry.line === undefined ? '' : ' (a batch of one line)'}; the entry is removed.`,
      )
    deps.print('')
    deps.print(style.red(`Still not a valid record (${check.reason}):`))
    for (const line of recordLines(saved.toString('utf8'), check.problems, style)) deps.print(line)
    deps.print(
      `${style.bold.cyan('e')} edit again${style.dim(' · ')}${style.bold.cyan('b')} back to the entry (drops the edit)`,
    )
    const key = await deps.readKey(['e', 'b'])
    if (key === CTRL_C_KEY) return 'interrupted'
    if (key === 'b') return 'again'
    content = saved
  }
}
