import {shellCommand, shellWord, singleQuoted} from '#core/shell-words.js'
import type {KeyStatus, UploadOutcome} from './key-status.js'

const STATE_NAMES: Record<KeyStatus['state'], string> = {
  stored: 'stored',
  replaced: 'replaced',
  unchanged: 'unchanged',
  quarantined: 'quarantined',
  batch: 'batch',
  'in-flight': 'in flight',
  'not-found': 'not found',
}

/**
 * What identifies an outcome: the item (and when), the reason and quarantine entry, or when it was uploaded. `target`
 * holds the flags that picked the target (`--local`...), which the commands it suggests repeat.
 */
function details(
  outcome: Omit<UploadOutcome, 'state'> & Pick<KeyStatus, 'state' | 'key' | 'packedInto'>,
  target: string[],
): string {
  const item = `${outcome.item?.ArtistID} / ${outcome.item?.ItemID}`
  const packed = outcome.packedInto
  const packedFrom = packed ? `line ${packed.line} of ${packed.key} (packed by upload --batch)` : undefined
  switch (outcome.state) {
    case 'stored':
      return `(${item}${packedFrom ? `, ${packedFrom}` : ''}, ${outcome.at ?? 'time unknown'})`
    case 'replaced': {
      const version = outcome.version ? `version ${outcome.version}` : 'a new version'
      return `(${item}: ${version}, the earlier one in \`eventpulse items history\`, ${outcome.at ?? 'time unknown'})`
    }
    case 'unchanged':
      return `(already stored exactly so as ${item}; nothing changed, ${outcome.at ?? 'time unknown'})`
    case 'quarantined':
      // The message is the admin's to read (`quarantine show`): status has the reason and the entry.
      return `${outcome.reason ?? 'unknown reason'}${outcome.message ? `: ${outcome.message}` : ''}  [${outcome.entry}]${packedFrom ? ` ${packedFrom}` : ''}`
    case 'batch': {
      const counts = outcome.counts
      if (!counts) return ''
      const list = [`eventpulse quarantine list --prefix ${singleQuoted(`${outcome.key}/`)}`, ...target.map(shellWord)]
      const where = counts.quarantined > 0 ? `; quarantined ones: ${list.join(' ')}` : ''
      const replaced = counts.replaced ? `${counts.replaced} replaced, ` : ''
      return `(${counts.records} records: ${replaced}${counts.stored} stored, ${counts.unchanged} unchanged, ${counts.quarantined} quarantined${where}, ${outcome.at ?? 'time unknown'})`
    }
    case 'in-flight':
      return `(uploaded ${outcome.at ?? 'just now'})`
    default:
      return ''
  }
}

/** One line per key: its state, and what identifies the outcome (its hints for the target given by `target`). */
export function outcomeLine(status: KeyStatus, target: string[] = []): string {
  const line = `${STATE_NAMES[status.state].padEnd(12)} ${status.key}`
  if (status.state === 'not-found') return line
  const other = status.otherRecordThan
  const reused = other
    ? `; not this file's record (${other.ArtistID} / ${other.ItemID}): another upload used the key, ` +
      'so give each folder its own --prefix'
    : ''
  return `${line}  ${details(status, target)}${reused}`
}

/** A key's uploads, newest first, one indented line each, when it has had more than one; the first is current. */
export function historyLines(status: KeyStatus, target: string[] = []): string[] {
  if (!status.history || status.history.length < 2) return []
  return status.history.map(
    (upload, index) =>
      `    ${index === 0 ? 'current ' : '        '} ${STATE_NAMES[upload.state].padEnd(12)} ${details({...upload, key: status.key}, target)}  etag ${upload.etag ?? 'unknown'}`,
  )
}

/** What `--wait` says when the time is up before every outcome arrived; `status` is the `eventpulse status` words. */
export function waitTimedOutLine(timeout: string, status: string[]): string {
  return `Timed out after ${timeout} waiting for outcomes; see them later with: ${shellCommand(['eventpulse', 'status', ...status])}`
}
