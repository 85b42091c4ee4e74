import type {ChalkInstance} from 'chalk'
import {applyEdits, format} from 'jsonc-parser'

import type {RecordProblem} from '#record/check-record.js'
import {type AttributeChange, changeLines} from '#record/changes.js'
import type {QuarantineEntry} from './entries.js'

/** What the review shows of a record: its first lines; the editor has all of it. */
const LINES_SHOWN = 40
/** Past this, a line is cut (a record's long string), so that the markers below it stay in place. */
const LINE_CHARS_SHOWN = 200

/** How long ago, in the largest unit that fits: `just now`, `12 min ago`, `2 h ago`, `3 d ago`. */
export function age(at: string | undefined, now: Date): string {
  if (!at) return 'age unknown'
  const seconds = Math.max(0, (now.getTime() - new Date(at).getTime()) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

/** `3/17  duplicate  2 h ago  catalog.ndjson line 4`, then the entry key, dimmed. */
export function header(
  position: {index: number; total: number},
  entry: QuarantineEntry,
  now: Date,
  style: ChalkInstance,
): string[] {
  const where = `${entry.sourceKey}${entry.line === undefined ? '' : ` line ${entry.line}`}${entry.file === undefined ? '' : ` (from ${entry.file})`}`
  return [
    `${style.bold(`${position.index + 1}/${position.total}`)}  ${style.yellow(entry.reason ?? 'no reason recorded')}  ` +
      `${age(entry.quarantinedAt, now)}  ${style.bold(where)}`,
    style.dim(entry.key),
  ]
}

/**
 * The record as the review shows and edits it. A record on one line (a batch's, or a file written by a program) is
 * laid out one attribute per line when it is JSON at all: only whitespace changes, so every value reads exactly as
 * written. Anything else is shown as it is.
 */
export function recordText(content: Buffer): string {
  const text = content.toString('utf8')
  if (text.trim().includes('\n')) return text
  const edits = format(text, undefined, {tabSize: 2, insertSpaces: true, eol: '\n'})
  return edits.length === 0 ? text : `${applyEdits(text, edits)}\n`
}

/**
 * The record's lines, numbered, each problem pointed at under its line (`^` at its column, highlighted in colour) and
 * its message; problems with no position, or past the lines shown, are listed after them with their line:column.
 */
export function recordLines(text: string, problems: RecordProblem[], style: ChalkInstance): string[] {
  const lines = text.replace(/\n$/, '').split('\n')
  const width = String(Math.min(lines.length, LINES_SHOWN)).length
  const shown: string[] = []
  for (const [index, line] of lines.slice(0, LINES_SHOWN).entries()) {
    const here = problems.filter((problem) => problem.line === index + 1)
    const cut = line.length > LINE_CHARS_SHOWN ? `${line.slice(0, LINE_CHARS_SHOWN)}…` : line
    const columns = new Set(here.map((problem) => Math.min(problem.column ?? 1, cut.length + 1)))
    const marked = [...cut].map((char, at) => (columns.has(at + 1) ? style.red.inverse(char) : char)).join('')
    shown.push(`${style.dim(String(index + 1).padStart(width))} │ ${marked}`)
    for (const problem of here) {
      const column = Math.min(problem.column ?? 1, cut.length + 1)
      shown.push(
        `${' '.repeat(width)} │ ${' '.repeat(column - 1)}${style.red(`^ ${problem.line}:${problem.column} ${problem.message}`)}`,
      )
    }
  }
  if (lines.length > LINES_SHOWN) shown.push(style.dim(`… ${lines.length - LINES_SHOWN} more lines (e shows them all)`))
  const elsewhere = problems.filter((problem) => problem.line === undefined || problem.line > LINES_SHOWN)
  for (const problem of elsewhere)
    shown.push(style.red(`${problem.line === undefined ? '' : `${problem.line}:${problem.column} `}${problem.message}`))
  return shown
}

/** A duplicate against the stored item, attribute by attribute: `Streams: 10 → 25`, `+ Features: …`, `- Year: …`. */
export function changesAgainstStored(changes: AttributeChange[] | undefined, style: ChalkInstance): string[] {
  if (changes === undefined)
    return [style.dim('Nothing is stored under its ArtistID + ItemID now: released as it is, it would be stored.')]
  if (changes.length === 0) return [style.dim('Against the stored item: no change (released, it would be unchanged).')]
  const colour = {added: style.green, removed: style.red, changed: style.yellow}
  return [
    'Against the stored item:',
    ...changeLines(changes).map((line, index) => `  ${colour[changes[index].change](line)}`),
  ]
}

/** One letter per action, and what it does. */
export const ACTIONS = {
  e: 'edit',
  a: 'accept',
  r: 'release',
  d: 'delete',
  s: 'skip',
  q: 'quit',
  '?': 'help',
} as const

export type ActionKey = keyof typeof ACTIONS

/** `e edit · r release · d delete · s skip · q quit · ? help`, the letters in bold. */
export function keysLine(keys: readonly ActionKey[], style: ChalkInstance): string {
  return keys.map((key) => `${style.bold.cyan(key)} ${ACTIONS[key]}`).join(style.dim(' · '))
}

export function helpLines(retentionDays: number): string[] {
  return [
    'e  edit the record in $VISUAL or $EDITOR; once saved and valid, it is released in place of the entry',
    'a  accept (duplicates): replace the stored item with this record, if the item is still the one it was judged against',
    'r  release as it is, to be processed again (e.g. after the stored item or the schema changed)',
    `d  delete the entry (recoverable for ${retentionDays} days as a noncurrent version)`,
    's  skip to the next entry;  q  quit;  ?  this help',
    'Ctrl-C stops once the step under way is done.',
  ]
}

/**
 * What the review did to each entry it showed. `refused`: the action was a negative answer (a conflict to retry: an
 * accept whose item changed, a release whose key is still in flight); `failed`: AWS or the network failed it.
 */
export type ReviewOutcome = 'mended' | 'accepted' | 'released' | 'deleted' | 'skipped' | 'refused' | 'failed'

export interface ReviewSummary {
  total: number
  /** Entries shown, whatever was done with them. */
  reviewed: number
  counts: Record<ReviewOutcome, number>
  /** Why the walk ended before the last entry. */
  stopped?: 'quit' | 'interrupted'
}

const OUTCOME_WORDS: Record<ReviewOutcome, string> = {
  mended: 'mended and released',
  accepted: 'accepted',
  released: 'released',
  deleted: 'deleted',
  skipped: 'skipped',
  refused: 'refused',
  failed: 'failed',
}

/** `Reviewed 3 of 17 entries: 1 mended and released, 1 released, 1 skipped.` */
export function summaryLine(summary: ReviewSummary): string {
  const done = (Object.keys(OUTCOME_WORDS) as ReviewOutcome[])
    .filter((outcome) => summary.counts[outcome] > 0)
    .map((outcome) => `${summary.counts[outcome]} ${OUTCOME_WORDS[outcome]}`)
  const entries = `${summary.total === 1 ? 'entry' : 'entries'}`
  return `Reviewed ${summary.reviewed} of ${summary.total} ${entries}${done.length > 0 ? `: ${done.join(', ')}` : ''}.`
}

/** Counts all zero, to start from. */
export const noOutcomes = (): Record<ReviewOutcome, number> => ({
  mended: 0,
  accepted: 0,
  released: 0,
  deleted: 0,
  skipped: 0,
  refused: 0,
  failed: 0,
})
