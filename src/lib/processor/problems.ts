import {QUARANTINE_REASONS, type QuarantineReason} from '#contract/pipeline-contract.js'

/**
 * Why an upload is quarantined. `message` may quote the record (`got "-3"`): it is kept with the entry, for the admin.
 * `summary` never does: it is what logs and notifications carry (keys, reason, where the problem is).
 */
export interface Problem {
  message: string
  summary: string
}

/** Messages that quote nothing of the record's values (sizes, keys, DynamoDB's own words) serve as their summary. */
export const valueFree = (message: string): Problem => ({message, summary: message})

/**
 * Where a problem is, as logs and notifications carry it: its first 64 characters. An unknown attribute's name is in
 * the path, and a name, being the record's own, can itself carry data.
 */
const MAX_PATH_CHARS = 64
const shortPath = (path: string): string =>
  path.length > MAX_PATH_CHARS ? `${Array.from(path).slice(0, MAX_PATH_CHARS).join('')}…` : path

/** The record check's findings: the first problem in full, and located without its values. */
export function describeProblems(
  reason: QuarantineReason,
  problems: {path: string; line?: number; column?: number; message: string}[],
): Problem {
  const [first] = problems
  if (!first) return valueFree(QUARANTINE_REASONS[reason])
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
  const at = first.line === undefined ? '' : `line ${first.line}, column ${first.column}`
  const path = first.path ? `${at ? ', ' : ''}at ${shortPath(first.path)}` : ''
  return {
    message: `${at ? `${at}: ` : ''}${first.message}${more}`,
    summary: `${QUARANTINE_REASONS[reason]}${at || path ? ` (${at}${path})` : ''}${more}`,
  }
}
