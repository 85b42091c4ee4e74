import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import type {EntriesAction} from '#quarantine/act-on-entries.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {pretendTerminal, restoreTerminal} from '../helpers/terminal.js'
import {entry, run} from './helpers/act-on-entries.js'

// What rm and release show beside each entry, and how a refusal that is not a conflict counts: the actions are the
// test's own, with --yes or --dry-run, so nothing is asked.

const b1 = entry('b.json/q-0000000000000003', {reason: 'invalid-json'})

beforeEach(() => pretendTerminal(false))
afterEach(() => restoreTerminal())

describe('acting on quarantine entries: details and failures', () => {
  it("lists an action's details under each entry, indented beneath it", async () => {
    const action: EntriesAction = {
      verb: 'delete',
      pastTense: 'deleted',
      act: async () => {},
      details: (e) => [`Streams: 10 → 25 (${e.key})`],
    }
    const {said} = await run([{argument: b1.key, entries: [b1]}], action, {dryRun: true})
    expect(said).toEqual([
      'Would delete 1 quarantine entry:',
      `  ${entryLine(b1)}`,
      '      Streams: 10 → 25 (b.json/q-0000000000000003)',
    ])
  })

  it('counts a refusal for lack of permission as a failure, not a conflict to retry (exit 4)', async () => {
    const denied = new CliError('Access Denied', {exitCode: 3, code: 'AccessDenied'})
    const action: EntriesAction = {verb: 'release', pastTense: 'released', act: async () => Promise.reject(denied)}
    const {result, exit} = await run([{argument: b1.key, entries: [b1]}], action, {yes: true})
    expect(result.failed).toEqual([{key: 'b.json/q-0000000000000003', message: 'Access Denied'}])
    expect(exit).toBe(4)
  })
})
