import {describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import {review} from '#quarantine/review.js'
import {header} from '#quarantine/review-screen.js'
import {entry, NOW, plain, scripted, valid} from './helpers/review.js'

// What the review says in whole lines (no hint appended where there is none), what it reads, and that it goes on
// after a refused key or unreadable bytes.

describe('the review, line by line', () => {
  it('says when no reason was recorded', () => {
    expect(header({index: 0, total: 1}, {...entry('x.json', 'schema'), reason: undefined}, NOW, plain)).toEqual([
      '1/1  no reason recorded  2 h ago  x.json',
      'x.json/q-0123456789abcdef',
    ])
  })

  it('shows bytes that are not UTF-8 as replacement characters, and goes on', async () => {
    const t = scripted(['s'], {})
    t.deps.read = async () =>
      Buffer.concat([
        Buffer.from('{"ArtistID": "Moby", "ItemID": "TRACK#Go", "Title": "'),
        Buffer.from([0xff]),
        Buffer.from('"}'),
      ])
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(t.printed).toContain('1 │ {"ArtistID": "Moby", "ItemID": "TRACK#Go", "Title": "\uFFFD"}')
    expect(summary.counts.skipped).toBe(1)
  })

  it('reads the stored item for a duplicate only', async () => {
    const t = scripted(['s'], {'a.json': valid})
    let reads = 0
    t.deps.stored = async () => {
      reads++
      return undefined
    }
    await review([entry('a.json', 'schema')], t.deps)
    expect(reads).toBe(0)
  })

  it('after a refused a (not a duplicate), asks again and counts the next key', async () => {
    const t = scripted(['a', 's'], {'a.json': valid})
    const summary = await review([entry('a.json', 'schema')], t.deps)
    expect(summary).toMatchObject({reviewed: 1, counts: {skipped: 1}})
    expect(t.printed.at(-1)).toBe('Skipped.')
  })

  it('says a failure without a hint as its message alone', async () => {
    const t = scripted(['r'], {'a.json': valid}, {failing: 'release a.json/q-0123456789abcdef'})
    await review([entry('a.json', 'schema')], t.deps)
    expect(t.printed).toContain('Failed: the network went away')
  })

  it('says a refusal without a hint as its message alone', async () => {
    const t = scripted(
      ['a'],
      {'d.json': '{"ArtistID": "Odesza", "ItemID": "TRACK#Loyal", "Streams": 25}'},
      {
        stored: {ArtistID: {S: 'Odesza'}, ItemID: {S: 'TRACK#Loyal'}, Streams: {N: '10'}},
      },
    )
    t.deps.accept = async () => {
      throw new CliError('Not accepted d.json: the stored item is version 3.', {exitCode: 1, code: 'Conflict'})
    }
    await review([entry('d.json', 'duplicate')], t.deps)
    expect(t.printed).toContain('Refused: Not accepted d.json: the stored item is version 3.')
  })
})
