import confirm from '@inquirer/confirm'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {CliError} from '#core/errors.js'
import {actOnEntries, type EntriesAction, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {entryLine, oneEntryPerSourceKey, splitResolved} from '#quarantine/entry-lines.js'
import {pretendTerminal, restoreTerminal} from '../helpers/terminal.js'
import {entry, run, target} from './helpers/act-on-entries.js'

// The course `quarantine rm` and `release` share: what they list, ask, do, say and exit with. The prompt library is
// the only thing replaced (a test has no terminal); the actions are the test's own.

vi.mock('@inquirer/confirm', () => ({default: vi.fn()}))

const a1 = entry('a.json/q-0000000000000001', {reason: 'schema', quarantinedAt: '2024-06-02T10:00:00.000Z'})
const a2 = entry('a.json/q-0000000000000002', {reason: 'duplicate', quarantinedAt: '2024-06-01T10:00:00.000Z'})
const b1 = entry('b.json/q-0000000000000003', {reason: 'invalid-json'})

/** An action that records what it acted on, failing on the keys given. */
function deleting(options: {failOn?: string[]; caution?: string} = {}) {
  const acted: string[] = []
  const action: EntriesAction = {
    verb: 'delete',
    pastTense: 'deleted',
    caution: options.caution,
    async act(entry) {
      if (options.failOn?.includes(entry.key)) throw new Error('Access Denied')
      acted.push(entry.key)
    },
  }
  return {acted, action}
}

beforeEach(() => pretendTerminal(false))
afterEach(() => {
  restoreTerminal()
  vi.mocked(confirm).mockReset()
})

describe('acting on quarantine entries (rm, release)', () => {
  it('lists them, acts on each entry once however many arguments name it, and reports the missing ones', async () => {
    const {acted, action} = deleting()
    const {result, said, warned, exit} = await run(
      [
        {argument: 'a.json', entries: [a1, a2]},
        {argument: a1.key, entries: [a1]},
        {argument: 'gone.json', entries: []},
      ],
      action,
      {yes: true},
    )
    expect(acted.sort()).toEqual([a1.key, a2.key])
    expect(warned).toEqual(['not in quarantine: gone.json'])
    expect(said).toEqual([
      'Delete 2 quarantine entries:',
      `  ${entryLine(a1)}`,
      `  ${entryLine(a2)}`,
      'Deleted 2 of 2 quarantine entries.',
    ])
    expect(result).toEqual({done: [a1.key, a2.key], missing: ['gone.json'], failed: [], dryRun: false, declined: false})
    // Something named was not there: the negative answer.
    expect(exit).toBe(1)
  })

  it('with everything found and done, exits 0', async () => {
    const {acted, action} = deleting()
    const {said, exit} = await run([{argument: b1.key, entries: [b1]}], action, {yes: true})
    expect(acted).toEqual([b1.key])
    expect(said.at(-1)).toBe('Deleted 1 of 1 quarantine entry.')
    expect(exit).toBe(0)
  })

  it('asks nothing and does nothing when no argument names an entry (exit 1)', async () => {
    const {acted, action} = deleting()
    // No --yes and no terminal: asking would refuse.
    const {result, said, warned, exit} = await run([{argument: 'gone.json', entries: []}], action)
    expect(acted).toEqual([])
    expect(said).toEqual([])
    expect(warned).toEqual(['not in quarantine: gone.json'])
    expect(result).toMatchObject({done: [], missing: ['gone.json'], declined: false})
    expect(exit).toBe(1)
  })

  it('with --dry-run, lists what it would do and does nothing (exit 0)', async () => {
    const {acted, action} = deleting()
    const {result, said, exit} = await run([{argument: b1.key, entries: [b1]}], action, {dryRun: true})
    expect(acted).toEqual([])
    expect(said).toEqual(['Would delete 1 quarantine entry:', `  ${entryLine(b1)}`])
    expect(result).toEqual({done: [], missing: [], failed: [], dryRun: true, declined: false})
    expect(exit).toBe(0)
  })

  it('with --quiet, lists nothing it is not asking about: only the count for --dry-run, the outcome for --yes', async () => {
    const resolved = [{argument: 'a.json', entries: [a1, a2]}]
    const dry = await run(resolved, deleting().action, {dryRun: true, quiet: true})
    expect(dry.said).toEqual(['Would delete 2 quarantine entries.'])
    const {acted, action} = deleting()
    const done = await run(resolved, action, {yes: true, quiet: true})
    expect(acted.sort()).toEqual([a1.key, a2.key])
    expect(done.said).toEqual(['Deleted 2 of 2 quarantine entries.'])
  })

  it('keeps going when one entry fails: the failure is recorded and warned, and the exit status is 4', async () => {
    const {acted, action} = deleting({failOn: [a2.key]})
    const {result, said, warned, exit} = await run([{argument: 'a.json', entries: [a1, a2, b1]}], action, {yes: true})
    expect(acted.sort()).toEqual([a1.key, b1.key])
    expect(result.failed).toEqual([{key: a2.key, message: 'Access Denied'}])
    expect(warned).toEqual([`failed to delete ${a2.key}: Access Denied`])
    expect(said.at(-1)).toBe('Deleted 2 of 3 quarantine entries.')
    expect(exit).toBe(4)
  })

  it('without --yes and no terminal to ask on, refuses (exit 2) and does nothing', async () => {
    const {acted, action} = deleting()
    await expect(run([{argument: b1.key, entries: [b1]}], action)).rejects.toMatchObject({
      exitCode: 2,
      code: 'ConfirmationRequired',
      message: 'Refusing to delete quarantined objects without confirmation: no terminal to ask on.',
    })
    expect(acted).toEqual([])
    expect(confirm).not.toHaveBeenCalled()
  })

  it('asks with the caution, lists the entries even with --quiet, and does nothing when declined (exit 1)', async () => {
    pretendTerminal(true)
    vi.mocked(confirm).mockResolvedValue(false as never)
    const {acted, action} = deleting({caution: 'every version; this cannot be undone'})
    const {result, said, exit} = await run([{argument: b1.key, entries: [b1]}], action, {quiet: true})
    expect(vi.mocked(confirm).mock.calls[0][0]).toMatchObject({
      message: 'Delete 1 quarantine entry (every version; this cannot be undone)?',
    })
    expect(acted).toEqual([])
    expect(said).toEqual(['Delete 1 quarantine entry:', `  ${entryLine(b1)}`, 'Nothing deleted.'])
    expect(result).toMatchObject({done: [], declined: true})
    expect(exit).toBe(1)
  })

  it('acts once the user agrees', async () => {
    pretendTerminal(true)
    vi.mocked(confirm).mockResolvedValue(true as never)
    const {acted, action} = deleting()
    const {exit} = await run([{argument: b1.key, entries: [b1]}], action)
    expect(vi.mocked(confirm).mock.calls[0][0]).toMatchObject({message: 'Delete 1 quarantine entry?'})
    expect(acted).toEqual([b1.key])
    expect(exit).toBe(0)
  })

  it('stops between entries on Ctrl-C, saying how many were done (exit 130); the rest are left alone', async () => {
    const controller = new AbortController()
    const acted: string[] = []
    const action: EntriesAction = {
      verb: 'release',
      pastTense: 'released',
      async act(entry) {
        acted.push(entry.key)
        controller.abort()
      },
    }
    const oneAtATime = {...target, concurrency: 1}
    const promise = actOnEntries(oneAtATime, [{argument: 'a.json', entries: [a1, a2, b1]}], action, {
      yes: true,
      dryRun: false,
      signal: controller.signal,
      say: () => {},
      warn: () => {},
    })
    await expect(promise).rejects.toMatchObject({
      exitCode: 130,
      message: 'Interrupted (Ctrl-C): released 1 of 3 quarantine entries; the others are left as they were.',
    })
    expect(acted).toEqual([a1.key])
  })

  it('acts on the entries the target allows at once, no more', async () => {
    let running = 0
    let most = 0
    const action: EntriesAction = {
      verb: 'delete',
      pastTense: 'deleted',
      async act() {
        most = Math.max(most, ++running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running--
      },
    }
    await run([{argument: 'all', entries: [a1, a2, b1]}], action, {yes: true})
    expect(most).toBe(2)
  })
})

describe('the exit status of rm and release', () => {
  it('is 4 when any entry failed, even with keys missing; 1 when declined; else 0', () => {
    const result = {done: [], missing: [], failed: [], dryRun: false, declined: false}
    expect(entriesActionExitStatus({...result, missing: ['x'], failed: [{key: 'k', message: 'm'}]})).toBe(4)
    expect(entriesActionExitStatus({...result, declined: true})).toBe(1)
    expect(entriesActionExitStatus(result)).toBe(0)
  })

  it('is 1 when the only failures are conflicts to retry (an upload of the key in flight), 4 beside another failure', async () => {
    const inFlight = new CliError('an upload of the key is in flight', {exitCode: 1, code: 'InFlight'})
    const action: EntriesAction = {verb: 'release', pastTense: 'released', act: async () => Promise.reject(inFlight)}
    const {exit, result} = await run([{argument: 'all', entries: [a1]}], action, {yes: true})
    expect(result.failed).toEqual([{key: a1.key, message: 'an upload of the key is in flight', conflict: true}])
    expect(exit).toBe(1)
    expect(entriesActionExitStatus({...result, failed: [...result.failed, {key: 'k', message: 'm'}]})).toBe(4)
  })
})

describe('an entry as rm, release and list print it', () => {
  it('shows key, batch line, size, time and reason with its message', () => {
    expect(entryLine({...a1, line: 3, message: 'Title: too long'})).toBe(
      'a.json/q-0000000000000001  line 3  12 B  2024-06-02T10:00:00.000Z  schema: Title: too long',
    )
  })

  it('says when the time or the reason is not recorded', () => {
    expect(entryLine(entry('c.json/q-0000000000000004'))).toBe('c.json/q-0000000000000004  12 B  -  no reason recorded')
  })

  it('names the packed file (quoted for a shell when it must be) and says when only older versions are left', () => {
    expect(entryLine({...a1, line: 4, file: 'dir A/song.json', deleted: true})).toBe(
      "a.json/q-0000000000000001  line 4  from 'dir A/song.json'  12 B  2024-06-02T10:00:00.000Z  schema" +
        '  (deleted; older versions left)',
    )
  })
})

describe('what a command acts on', () => {
  it('is each entry found once, in the order first named, and the arguments that named nothing', () => {
    expect(
      splitResolved([
        {argument: 'a.json', entries: [a2, a1]},
        {argument: 'none.json', entries: []},
        {argument: a1.key, entries: [a1]},
        {argument: b1.key, entries: [b1]},
      ]),
    ).toEqual({entries: [a2, a1, b1], missing: ['none.json']})
  })
})

describe('putting entries back one at a time (release, fix)', () => {
  it('lets entries of different source keys through', () => {
    expect(() => oneEntryPerSourceKey([a1, b1], 'release')).not.toThrow()
  })

  it('refuses (exit 2) two entries of one source key, naming the key, the verb and the entries to choose from', () => {
    const refusal = () => oneEntryPerSourceKey([a1, b1, a2], 'release')
    expect(refusal).toThrow(CliError)
    expect(refusal).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: 'a.json has several quarantine entries; release one at a time.',
        hint: 'Name one entry: a.json/q-0000000000000001, a.json/q-0000000000000002',
      }),
    )
  })

  it('names every such source key at once', () => {
    const b2 = entry('b.json/q-0000000000000005', {reason: 'schema'})
    expect(() => oneEntryPerSourceKey([a1, a2, b1, b2], 'fix')).toThrow(
      expect.objectContaining({
        message: 'a.json, b.json have several quarantine entries; fix one at a time.',
        hint: `Name one entry: ${a1.key}, ${a2.key}, ${b1.key}, ${b2.key}`,
      }),
    )
  })
})
