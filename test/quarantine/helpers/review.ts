import {Chalk} from 'chalk'

import type {QuarantineEntry} from '#quarantine/entries.js'
import type {ReviewDeps} from '#quarantine/review.js'

export const plain = new Chalk({level: 0})
export const NOW = new Date('2026-12-07T12:00:00.000Z')

/** An entry of the source key given, quarantined 2 h before NOW. */
export const entry = (name: string, reason: string, extra: Partial<QuarantineEntry> = {}): QuarantineEntry => ({
  key: `${name}/q-0123456789abcdef`,
  sourceKey: name,
  entryId: 'q-0123456789abcdef',
  size: 10,
  reason,
  quarantinedAt: '2026-12-07T10:00:00.000Z',
  ...extra,
})

/** Deps whose keys come from `keys` in order and whose actions are recorded in `done`. */
export function scripted(
  keys: string[],
  contents: Record<string, string>,
  options: {edits?: string[]; stored?: Record<string, unknown>; failing?: string} = {},
) {
  const done: string[] = []
  const printed: string[] = []
  const edits = [...(options.edits ?? [])]
  const edited: string[] = []
  const act = (what: string) => async (e: QuarantineEntry) => {
    if (options.failing === `${what} ${e.key}`) throw new Error('the network went away')
    done.push(`${what} ${e.key}`)
  }
  const deps: ReviewDeps = {
    read: async (e) => Buffer.from(contents[e.sourceKey]),
    stored: async () => options.stored,
    release: act('release'),
    mend: async (e, mended) => void done.push(`mend ${e.key} ${mended.toString()}`),
    remove: act('delete'),
    accept: async (e) => {
      done.push(`accept ${e.key}`)
      return 'Accepted.'
    },
    readKey: async (allowed) => {
      const key = keys.shift()
      if (key === undefined) throw new Error('no more keys')
      if (!allowed.includes(key) && key !== 'ctrl-c') throw new Error(`${key} is not read here`)
      return key
    },
    edit: async (content) => {
      edited.push(content.toString())
      return Buffer.from(edits.shift()!)
    },
    print: (line) => printed.push(line),
    style: plain,
    now: () => NOW,
    signal: new AbortController().signal,
    retentionDays: 90,
  }
  return {deps, done, printed, edited, screen: () => printed.join('\n')}
}

export const valid = '{"ArtistID": "Moby", "ItemID": "TRACK#Go"}'
