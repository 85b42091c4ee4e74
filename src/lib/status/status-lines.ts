import type {KeyStatus} from './key-status.js'

/** One line per key: its state, and what identifies the outcome (the item, or the reason and quarantine entry). */
export function outcomeLine(status: KeyStatus): string {
  switch (status.state) {
    case 'stored':
      return `stored       ${status.key}  (${status.item?.ArtistID} / ${status.item?.ItemID}, ${status.at ?? 'time unknown'})`
    case 'quarantined':
      return `quarantined  ${status.key}  ${status.reason ?? 'unknown reason'}: ${status.message ?? ''}  [${status.entry}]`
    case 'in-flight':
      return `in flight    ${status.key}  (uploaded ${status.at ?? 'just now'})`
    default:
      return `not found    ${status.key}`
  }
}

/** What `--wait` says when the time is up before every outcome arrived. */
export function waitTimedOutLine(timeout: string): string {
  return `Timed out after ${timeout} waiting for outcomes; see them later with: eventpulse status KEY`
}
