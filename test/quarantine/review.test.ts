import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import type {QuarantineEntry} from '#quarantine/entries.js'
import {review, type ReviewDeps} from '#quarantine/review.js'
import {age, header, recordLines, recordText, summaryLine} from '#quarantine/review-screen.js'

// The triage loop and its screen, in-process: the terminal and the pipeline's actions are played by the test.

const plain = new Chalk({level: 0})
const NOW = new Date('2026-12-07T12:00:00.000Z')

const entry = (name: string, reason: string, extra: Partial<QuarantineEntry> = {}): QuarantineEntry => ({
  key: `${name}/q-0123456789abcdef`,
  sourceKey: name,
  entryId: 'q-0123456789abcdef',
  size: 10,
  reason,
  quarantinedAt: '2026-12-07T10:00:00.000Z',
  ...extra,
})

/** Deps whose keys come from `keys` in order and whose actions are recorded in `done`. */
function scripted(
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

const valid = '{"ArtistID": "Moby", "ItemID": "TRACK#Go"}'

describe('the review walk', () => {
  it('acts on each entry with its key, in the order given, and counts what was done', async () => {
    const entries = [entry('a.json', 'schema'), entry('b.json', 'schema'), entry('c.json', 'schema')]
    const t = scripted(['r', 'd', 's'], {'a.json': valid, 'b.json': valid, 'c.json': valid})
    const summary = await review(entries, t.deps)
    expect(t.done).toEqual(['release a.json/q-0123456789abcdef', 'delete b.json/q-0123456789abcdef'])
    expect(summary).toEqual({
      total: 3,
      reviewed: 3,
      counts: {mended: 0, accepted: 0, released: 1, deleted: 1, skipped: 1, refused: 0, failed: 0},
    })
    expect(summaryLine(summary)).toBe('Reviewed 3 of 3 entries: 1 released, 1 deleted, 1 skipped.')
  })

  it('q stops the walk: the entry shown is not counted, and nothing more is read', async () => {
    const t = scripted(['s', 'q'], {'a.json': valid, 'b.json': valid, 'c.json': valid})
    const summary = await review(
      [entry('a.json', 'schema'), entry('b.json', 'schema'), entry('c.json', 'schema')],
      t.deps,
    )
    expect(summary.stopped).toBe('quit')
    expect(summary.reviewed).toBe(1)
    expect(t.screen()).not.toContain('c.json')
  })

  it('Ctrl-C at the key stops it as interrupted', async () => {
    const t = scripted(['ctrl-c'], {'a.json': valid})
    expect(await review([entry('a.json', 'schema')], t.deps)).toMatchObject({stopped: 'interrupted', reviewed: 0})
  })

  it('Ctrl-C during a step (SIGINT) stops once that step is done', async () => {
    const controller = new AbortController()
    const t = scripted(['r'], {'a.json': valid, 'b.json': valid})
    const release = t.deps.release
    t.deps.release = async (e) => {
      controller.abort()
      await release(e)
    }
    t.deps.signal = controller.signal
    const summary = await review([entry('a.json', 'schema'), entry('b.json', 'schema')], t.deps)
    expect(t.done).toEqual(['release a.json/q-0123456789abcdef'])
    expect(summary).toMatchObject({stopped: 'interrupted', reviewed: 1, counts: {released: 1}})
  })

  it('? shows the help and asks again', async () => {
    const t = scripted(['?', 's'], {'a.json': valid})
    await review([entry('a.json', 'schema')], t.deps)
    expect(t.screen()).toContain('d  delete the entry (recoverable for 90 days as a noncurrent version)')
    expect(t.printed.filter((line) => line.includes('q quit'))).toHaveLength(2)
  })

  it('a failed step is said and counted, and the walk goes on', async () => {
    const t = scripted(['r', 's'], {'a.json': valid, 'b.json': valid}, {failing: 'release a.json/q-0123456789abcdef'})
    const summary = await review([entry('a.json', 'schema'), entry('b.json', 'schema')], t.deps)
    expect(t.screen()).toContain('Failed: the network went away')
    expect(summary.counts).toMatchObject({failed: 1, skipped: 1})
  })
})

describe('e: editing', () => {
  it('an invalid save is pointed at and may be edited again; the valid one is released as the mended record', async () => {
    const t = scripted(
      ['e', 'e'],
      {'a.json': '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": "x"}'},
      {
        edits: [
          '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": "y"}',
          '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": 1999}',
        ],
      },
    )
    const summary = await review([entry('a.json', 'schema')], t.deps)
    // The editor first gets the record as shown (one attribute per line), then the text saved last.
    expect(t.edited[0]).toBe('{\n  "ArtistID": "Moby",\n  "ItemID": "TRACK#Go",\n  "Year": "x"\n}\n')
    expect(t.edited[1]).toContain('"Year": "y"')
    expect(t.screen()).toContain('Still not a valid record (schema):')
    expect(t.screen()).toMatch(/\^ 1:52 Year must be/)
    expect(t.done).toEqual(['mend a.json/q-0123456789abcdef {"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": 1999}'])
    expect(summary.counts.mended).toBe(1)
  })

  it('b goes back to the entry, its edit dropped, and nothing is released', async () => {
    const t = scripted(['e', 'b', 's'], {'a.json': '{"ArtistID": 1}'}, {edits: ['{"ArtistID": 2}']})
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(t.done).toEqual([])
    expect(summary.counts).toMatchObject({skipped: 1, mended: 0})
  })

  it('a batch line is checked as a batch record: an export line ({"Item": …}) is a valid record', async () => {
    const exported = '{"Item": {"ArtistID": {"S": "Moby"}, "ItemID": {"S": "TRACK#Go"}}}'
    const t = scripted(['e'], {'b.ndjson': '{"Item": {}}'}, {edits: [exported]})
    await review([entry('b.ndjson', 'schema', {line: 4})], t.deps)
    expect(t.done).toEqual([`mend b.ndjson/q-0123456789abcdef ${exported}`])
  })
})

describe('a: accepting', () => {
  const stored = {ArtistID: {S: 'Odesza'}, ItemID: {S: 'TRACK#Loyal'}, Streams: {N: '10'}}
  const duplicate = '{"ArtistID": "Odesza", "ItemID": "TRACK#Loyal", "Streams": 25}'

  it("shows a duplicate's change against the stored item and accepts it", async () => {
    const t = scripted(['a'], {'d.json': duplicate}, {stored})
    const summary = await review([entry('d.json', 'duplicate')], t.deps)
    expect(t.screen()).toContain('Against the stored item:\n    Streams: 10 → 25')
    expect(t.done).toEqual(['accept d.json/q-0123456789abcdef'])
    expect(t.screen()).toContain('Accepted.')
    expect(summary.counts.accepted).toBe(1)
  })

  it('a conflict (the stored item changed) is refused, said and counted apart from failures', async () => {
    const t = scripted(['a'], {'d.json': duplicate}, {stored})
    t.deps.accept = async () => {
      throw new CliError('Not accepted d.json: the stored item is version 3.', {exitCode: 1, code: 'Conflict'})
    }
    const summary = await review([entry('d.json', 'duplicate')], t.deps)
    expect(t.screen()).toContain('Refused: Not accepted d.json: the stored item is version 3.')
    expect(summary.counts).toMatchObject({refused: 1, failed: 0})
    expect(summaryLine(summary)).toBe('Reviewed 1 of 1 entry: 1 refused.')
  })

  it('says so when nothing is stored any more', async () => {
    const t = scripted(['s'], {'d.json': duplicate})
    await review([entry('d.json', 'duplicate')], t.deps)
    expect(t.screen()).toContain('Nothing is stored under its ArtistID + ItemID now')
  })

  it('is for duplicates only, and asks again', async () => {
    const t = scripted(['a', 's'], {'a.json': valid})
    await review([entry('a.json', 'schema')], t.deps)
    expect(t.screen()).toContain('this entry is not a duplicate')
    expect(t.done).toEqual([])
  })
})

describe('the screen', () => {
  it('says how long ago, in the largest unit that fits', () => {
    const ago = (seconds: number) => age(new Date(NOW.getTime() - seconds * 1000).toISOString(), NOW)
    expect([ago(59), ago(60), ago(3599), ago(3600), ago(86_399), ago(86_400), ago(3 * 86_400)]).toEqual([
      'just now',
      '1 min ago',
      '59 min ago',
      '1 h ago',
      '23 h ago',
      '1 d ago',
      '3 d ago',
    ])
    expect(age(undefined, NOW)).toBe('age unknown')
  })

  it('heads each entry with its place, reason, age and source (with the batch line)', () => {
    const lines = header({index: 2, total: 17}, entry('catalog.ndjson', 'duplicate', {line: 4}), NOW, plain)
    expect(lines).toEqual(['3/17  duplicate  2 h ago  catalog.ndjson line 4', 'catalog.ndjson/q-0123456789abcdef'])
  })

  it('lays a one-line record out one attribute per line, changing only whitespace', () => {
    expect(recordText(Buffer.from('{"A":1.50,"B":[1,2]}'))).toBe('{\n  "A": 1.50,\n  "B": [\n    1,\n    2\n  ]\n}\n')
    const written = '{\n"A": 1}\n'
    expect(recordText(Buffer.from(written))).toBe(written)
  })

  it('points at each problem under its line, at its column, and lists those it cannot place', () => {
    const lines = recordLines(
      '{\n  "A": 1\n}\n',
      [
        {path: '/A', line: 2, column: 8, message: 'A is wrong'},
        {path: '', message: 'something else'},
      ],
      plain,
    )
    expect(lines).toEqual(['1 │ {', '2 │   "A": 1', '  │        ^ 2:8 A is wrong', '3 │ }', 'something else'])
  })

  it('highlights the character at fault in colour', () => {
    const [, line] = recordLines(
      '{\n"A": 7\n}',
      [{path: '/A', line: 2, column: 6, message: 'bad'}],
      new Chalk({level: 1}),
    )
    expect(line).toContain('"A": \u001B[31m\u001B[7m7\u001B[27m\u001B[39m')
  })

  it('shows the first 40 lines, and says how many more', () => {
    const text = Array.from({length: 45}, (_, i) => `line ${i + 1}`).join('\n')
    const lines = recordLines(text, [{path: '', line: 44, column: 2, message: 'late'}], plain)
    expect(lines.at(-3)).toBe('40 │ line 40')
    expect(lines.at(-2)).toBe('… 5 more lines (e shows them all)')
    expect(lines.at(-1)).toBe('44:2 late')
  })

  it('sums up with only the counts that are not zero', () => {
    const counts = {mended: 1, accepted: 0, released: 0, deleted: 0, skipped: 2, refused: 0, failed: 0}
    expect(summaryLine({total: 1, reviewed: 1, counts: {...counts, skipped: 0, mended: 1}})).toBe(
      'Reviewed 1 of 1 entry: 1 mended and released.',
    )
    expect(summaryLine({total: 17, reviewed: 3, counts})).toBe(
      'Reviewed 3 of 17 entries: 1 mended and released, 2 skipped.',
    )
    expect(summaryLine({total: 2, reviewed: 0, counts: {...counts, mended: 0, skipped: 0}})).toBe(
      'Reviewed 0 of 2 entries.',
    )
  })
})
