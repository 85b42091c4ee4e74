import {Chalk, type ChalkInstance} from 'chalk'
import {describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import {review} from '#quarantine/review.js'
import {age, header, recordLines, recordText, summaryLine} from '#quarantine/review-screen.js'
import {entry, NOW, plain, scripted, valid} from './helpers/review.js'

// The triage loop and its screen, in-process: the terminal and the pipeline's actions are played by the test.

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

/** A style that writes each colour as a tag (`<red>…</>`), so that a transcript shows what is red, green or dim. */
function tagged(names: string[] = []): ChalkInstance {
  const paint = (text: string) => (names.length === 0 ? text : `<${names.join('.')}>${text}</>`)
  return new Proxy(paint, {
    get: (_, name) => (typeof name === 'string' ? tagged([...names, name]) : undefined),
  }) as unknown as ChalkInstance
}

describe('the whole transcript, colours included', () => {
  const keys = (letters: string) =>
    letters
      .split('')
      .map(
        (key) =>
          `<bold.cyan>${key}</> ${{e: 'edit', a: 'accept', r: 'release', d: 'delete', s: 'skip', q: 'quit', '?': 'help'}[key]}`,
      )
      .join('<dim> · </>')

  it('an entry that passes now: its record laid out, why it was quarantined, the help, and the release in green', async () => {
    const t = scripted(['?', 'r'], {'dir/song.json': valid})
    t.deps.style = tagged()
    const summary = await review([entry('dir/song.json', 'schema', {message: 'Year: must be a number'})], t.deps)
    expect(t.printed).toEqual([
      '',
      '<bold>1/1</>  <yellow>schema</>  2 h ago  <bold>dir/song.json</>',
      '<dim>dir/song.json/q-0123456789abcdef</>',
      '',
      '<dim>1</> │ {',
      '<dim>2</> │   "ArtistID": "Moby",',
      '<dim>3</> │   "ItemID": "TRACK#Go"',
      '<dim>4</> │ }',
      '',
      '<dim>Quarantined: Year: must be a number (it passes the record check now)</>',
      keys('erdsq?'),
      '<dim>e  edit the record in $VISUAL or $EDITOR; once saved and valid, it is released in place of the entry</>',
      '<dim>a  accept (duplicates): replace the stored item with this record, if the item is still the one it was judged against</>',
      '<dim>r  release as it is, to be processed again (e.g. after the stored item or the schema changed)</>',
      '<dim>d  delete the entry (recoverable for 90 days as a noncurrent version)</>',
      '<dim>s  skip to the next entry;  q  quit;  ?  this help</>',
      '<dim>Ctrl-C stops once the step under way is done.</>',
      keys('erdsq?'),
      '<green>Released: back under dir/song.json, to be processed again.</>',
    ])
    expect(summary).toMatchObject({reviewed: 1, counts: {released: 1}})
  })

  it('a duplicate offers accept; a refusal is red with its hint; an empty batch line is said, and deleted in green', async () => {
    const stored = {ArtistID: {S: 'Moby'}, ItemID: {S: 'TRACK#Go'}}
    const t = scripted(['a', 'd'], {'d.json': valid, 'b.ndjson': ' \n'}, {stored})
    t.deps.style = tagged()
    t.deps.accept = async () => {
      throw new CliError('Not accepted: the stored item is version 3.', {exitCode: 1, hint: 'The entry is kept.'})
    }
    const summary = await review(
      [
        entry('d.json', 'duplicate', {message: 'stored already'}),
        entry('b.ndjson', 'schema', {line: 4, file: 'a/b.json'}),
      ],
      t.deps,
    )
    expect(t.printed).toEqual([
      '',
      '<bold>1/2</>  <yellow>duplicate</>  2 h ago  <bold>d.json</>',
      '<dim>d.json/q-0123456789abcdef</>',
      '',
      '<dim>1</> │ {',
      '<dim>2</> │   "ArtistID": "Moby",',
      '<dim>3</> │   "ItemID": "TRACK#Go"',
      '<dim>4</> │ }',
      '',
      '<dim>Against the stored item: no change (released, it would be unchanged).</>',
      keys('eardsq?'),
      '<red>Refused: Not accepted: the stored item is version 3. The entry is kept.</>',
      '',
      '<bold>2/2</>  <yellow>schema</>  2 h ago  <bold>b.ndjson line 4 (from a/b.json)</>',
      '<dim>b.ndjson/q-0123456789abcdef</>',
      '',
      '<dim>(no content)</>',
      keys('erdsq?'),
      '<green>Deleted (recoverable for 90 days; quarantine rm --purge removes every version).</>',
    ])
    expect(summary.counts).toMatchObject({refused: 1, deleted: 1})
  })

  it('a record still invalid shows its problems, not why it was quarantined, nor a change against the stored item', async () => {
    const invalid = '{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Year": "x"}'
    const t = scripted(['s', 's'], {'a.json': invalid, 'd.json': invalid}, {stored: {}})
    let storedReads = 0
    t.deps.stored = async () => {
      storedReads++
      return {}
    }
    await review([entry('a.json', 'schema', {message: 'Year: bad'}), entry('d.json', 'duplicate')], t.deps)
    expect(t.screen()).toMatch(/\^ 4:11 Year must be/)
    expect(t.screen()).not.toContain('Quarantined: Year: bad')
    expect(t.screen()).not.toContain('Against the stored item')
    expect(t.screen()).not.toContain('Nothing is stored')
    // Only a duplicate whose record passes is compared with the stored item (a read of the table each).
    expect(storedReads).toBe(0)
    expect(t.printed.filter((line) => line === 'Skipped.')).toHaveLength(2)
  })

  it('a failure that is not a negative answer is red, with its hint', async () => {
    const t = scripted(['d'], {'a.json': valid})
    t.deps.style = tagged()
    t.deps.remove = async () => {
      throw new CliError('Access Denied', {exitCode: 3, hint: 'Assume the quarantine-admin role.'})
    }
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(t.printed.at(-1)).toBe('<red>Failed: Access Denied Assume the quarantine-admin role.</>')
    expect(summary.counts).toMatchObject({failed: 1, refused: 0})
  })
})

describe('e: the editor', () => {
  const names = async (sourceKey: string, line?: number) => {
    const seen: string[] = []
    const t = scripted(['e', 'b', 's'], {[sourceKey]: valid}, {edits: ['{}']})
    t.deps.edit = async (_, name) => {
      seen.push(name)
      return Buffer.from('{}')
    }
    await review([entry(sourceKey, 'schema', {line})], t.deps)
    return seen[0]
  }

  it("opens a file named after the source key's own name, with the batch line, always ending .json", async () => {
    expect(await names('dir/song.json')).toBe('song.json')
    expect(await names('dir/catalog.NDJSON.gz', 4)).toBe('catalog-line-4.json')
    expect(await names('dir/catalog.jsonl', 1)).toBe('catalog-line-1.json')
    expect(await names('dir/notes.json.txt')).toBe('notes.json.txt.json')
    expect(await names('dir/.json')).toBe('record.json')
  })

  it('an editor that fails is said in red, and the entry asks again', async () => {
    const t = scripted(['e', 's'], {'a.json': valid})
    t.deps.style = tagged()
    t.deps.edit = async () => {
      throw new Error('No editor: set $VISUAL or $EDITOR.')
    }
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(t.printed.slice(-3)).toEqual([
      '<red>No editor: set $VISUAL or $EDITOR.</>',
      expect.stringContaining('<bold.cyan>e</> edit'),
      '<green>Skipped.</>',
    ])
    expect(summary.counts.skipped).toBe(1)
  })

  it('an invalid save offers e or b, in colour; Ctrl-C there stops the review', async () => {
    const t = scripted(['e', 'ctrl-c'], {'a.json': valid}, {edits: ['{"ArtistID": 1}']})
    t.deps.style = tagged()
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(t.printed.slice(-6)).toEqual([
      '',
      '<red>Still not a valid record (schema):</>',
      '<dim>1</> │ <red.inverse>{</>"ArtistID": <red.inverse>1</>}',
      '  │ <red>^ 1:1 missing required attribute ItemID: add "ItemID": "TRACK#<title>" or "ALBUM#<title>"</>',
      '  │              <red>^ 1:14 ArtistID must be "<non-empty text>", got 1</>',
      '<bold.cyan>e</> edit again<dim> · </><bold.cyan>b</> back to the entry (drops the edit)',
    ])
    expect(summary).toMatchObject({stopped: 'interrupted', reviewed: 0})
    expect(t.done).toEqual([])
  })

  it('a mended batch line is released as a batch of one line, said in green', async () => {
    const t = scripted(['e'], {'b.ndjson': '{}'}, {edits: [valid]})
    t.deps.style = tagged()
    await review([entry('b.ndjson', 'schema', {line: 2})], t.deps)
    expect(t.printed.at(-1)).toBe(
      '<green>Released the mended record under b.ndjson (a batch of one line); the entry is removed.</>',
    )
    const single = scripted(['e'], {'a.json': '{}'}, {edits: [valid]})
    await review([entry('a.json', 'schema')], single.deps)
    expect(single.printed.at(-1)).toBe('Released the mended record under a.json; the entry is removed.')
  })
})

describe('the screen, at its limits', () => {
  it('cuts a line past 200 characters, and keeps one of exactly 200', () => {
    const [cut] = recordLines('x'.repeat(201), [], plain)
    const [kept] = recordLines('y'.repeat(200), [], plain)
    expect(cut).toBe(`1 │ ${'x'.repeat(200)}…`)
    expect(kept).toBe(`1 │ ${'y'.repeat(200)}`)
  })

  it('shows 40 lines whole, with a problem on the 40th under its line', () => {
    const text = Array.from({length: 40}, (_, i) => `l${i + 1}`).join('\n')
    const lines = recordLines(text, [{path: '', line: 40, column: 1, message: 'last'}], plain)
    expect(lines.slice(-2)).toEqual(['40 │ l40', '   │ ^ 40:1 last'])
  })

  it('lays out a one-line record that ends with a newline, and leaves text that is not JSON as it is', () => {
    expect(recordText(Buffer.from('{"A":1}\n'))).toBe('{\n  "A": 1\n}\n')
    expect(recordText(Buffer.from('not json'))).toBe('not json')
  })
})
