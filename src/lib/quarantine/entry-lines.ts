import type {ResolvedArgument, QuarantineEntry} from './entries.js'

export function entryLine(entry: QuarantineEntry): string {
  const reason = entry.reason ?? 'no reason recorded'
  return (
    `${entry.key}  ${entry.line === undefined ? '' : `line ${entry.line}  `}${entry.size} B  ${entry.quarantinedAt ?? '-'}  ` +
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
