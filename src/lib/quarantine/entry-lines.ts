import {usageError} from '#core/errors.js'
import {shellWord} from '#core/shell-words.js'
import type {ResolvedArgument, QuarantineEntry} from './entries.js'

export function entryLine(entry: QuarantineEntry): string {
  const reason = entry.reason ?? 'no reason recorded'
  return (
    `${entry.key}  ${entry.line === undefined ? '' : `line ${entry.line}  `}${entry.file === undefined ? '' : `from ${shellWord(entry.file)}  `}${entry.size} B  ${entry.quarantinedAt ?? '-'}  ` +
    `${reason}${entry.message ? `: ${entry.message}` : ''}${entry.deleted ? '  (deleted; older versions left)' : ''}`
  )
}

/** What a command acts on: every entry found, and the arguments that named nothing in quarantine. */
export function splitResolved(resolved: ResolvedArgument[]): {entries: QuarantineEntry[]; missing: string[]} {
  const seen = new Set<string>()
  const entries: QuarantineEntry[] = []
  for (const {entries: found} of resolved)
    for (const entry of found)
      if (!seen.has(entry.key)) {
        seen.add(entry.key)
        entries.push(entry)
      }
  return {entries, missing: resolved.filter((r) => r.entries.length === 0).map((r) => r.argument)}
}

/**
 * Refuses (exit 2) to put back several entries of one source key at once: they would share the one key. `verb` says
 * what is done one entry at a time ("release", "fix").
 */
export function oneEntryPerSourceKey(entries: QuarantineEntry[], verb: string): void {
  const bySource = new Map<string, string[]>()
  for (const entry of entries) bySource.set(entry.sourceKey, [...(bySource.get(entry.sourceKey) ?? []), entry.key])
  const ambiguous = [...bySource].filter(([, keys]) => keys.length > 1)
  if (ambiguous.length > 0)
    throw usageError(
      `${ambiguous.map(([key]) => key).join(', ')} ${ambiguous.length === 1 ? 'has' : 'have'} ` +
        `several quarantine entries; ${verb} one at a time.`,
      `Name one entry: ${ambiguous.flatMap(([, keys]) => keys).join(', ')}`,
    )
}
