import {describe, expect, it} from 'vitest'

import type {KeyStatus} from '#status/key-status.js'
import {historyLines, outcomeLine, waitTimedOutLine} from '#status/status-lines.js'

// The lines `status` and `upload --wait` print for each key: its state, then what identifies the outcome.

const item = {ArtistID: 'Bonobo', ItemID: 'TRACK#Kerala'}
const at = '2026-01-01T10:00:00.000Z'
const counts = {records: 3, stored: 1, unchanged: 1, quarantined: 1, reasons: {schema: 1}}

describe('outcomeLine', () => {
  it('names the stored item and when', () => {
    expect(outcomeLine({key: 'a.json', state: 'stored', at, item})).toBe(
      `stored       a.json  (Bonobo / TRACK#Kerala, ${at})`,
    )
    expect(outcomeLine({key: 'a.json', state: 'stored', item})).toBe(
      'stored       a.json  (Bonobo / TRACK#Kerala, time unknown)',
    )
  })

  it('names the version a replacement made, where the earlier ones are, and when', () => {
    expect(outcomeLine({key: 'replace/a.json', state: 'replaced', at, item, version: 3})).toBe(
      `replaced     replace/a.json  (Bonobo / TRACK#Kerala: version 3, the earlier one in \`eventpulse items history\`, ${at})`,
    )
  })

  it('says an unchanged record was already stored, as which item', () => {
    expect(outcomeLine({key: 'a.json', state: 'unchanged', at, item})).toBe(
      `unchanged    a.json  (already stored exactly so as Bonobo / TRACK#Kerala; nothing changed, ${at})`,
    )
    expect(outcomeLine({key: 'a.json', state: 'unchanged', item})).toMatch(/nothing changed, time unknown\)$/)
  })

  it('gives a quarantined upload its reason and entry, and the message when there is one', () => {
    const entry = 'a.json/q-0123456789abcdef'
    expect(outcomeLine({key: 'a.json', state: 'quarantined', reason: 'duplicate', entry})).toBe(
      `quarantined  a.json  duplicate  [${entry}]`,
    )
    expect(outcomeLine({key: 'a.json', state: 'quarantined', reason: 'schema', message: 'no ItemID', entry})).toBe(
      `quarantined  a.json  schema: no ItemID  [${entry}]`,
    )
    expect(outcomeLine({key: 'a.json', state: 'quarantined', entry})).toBe(
      `quarantined  a.json  unknown reason  [${entry}]`,
    )
  })

  it("counts a batch's records by outcome, and says where its quarantined ones are", () => {
    expect(outcomeLine({key: 'b.ndjson', state: 'batch', at, counts})).toBe(
      `batch        b.ndjson  (3 records: 1 stored, 1 unchanged, 1 quarantined; ` +
        `quarantined ones: eventpulse quarantine list --prefix 'b.ndjson/', ${at})`,
    )
    expect(outcomeLine({key: 'b.ndjson', state: 'batch', at, counts}, ['--local'])).toContain(
      "quarantined ones: eventpulse quarantine list --prefix 'b.ndjson/' --local, ",
    )
    expect(outcomeLine({key: 'b.ndjson', state: 'batch', at, counts}, ['--region', 'eu-west-1'])).toContain(
      "eventpulse quarantine list --prefix 'b.ndjson/' --region eu-west-1, ",
    )
    expect(outcomeLine({key: 'b.ndjson', state: 'batch', counts: {...counts, quarantined: 0, stored: 2}})).toBe(
      'batch        b.ndjson  (3 records: 2 stored, 1 unchanged, 0 quarantined, time unknown)',
    )
    expect(outcomeLine({key: 'b.ndjson', state: 'batch'})).toBe('batch        b.ndjson  ')
  })

  it('says when an upload still in flight was sent', () => {
    expect(outcomeLine({key: 'a.json', state: 'in-flight', at})).toBe(`in flight    a.json  (uploaded ${at})`)
    expect(outcomeLine({key: 'a.json', state: 'in-flight'})).toBe('in flight    a.json  (uploaded just now)')
  })

  it('says no more than the key for one not found', () => {
    expect(outcomeLine({key: 'never.json', state: 'not-found'})).toBe('not found    never.json')
  })
})

describe('historyLines', () => {
  it('lists every upload of a key uploaded more than once, newest first marked current, with its ETag', () => {
    const status: KeyStatus = {
      key: 'a.json',
      state: 'unchanged',
      history: [
        {state: 'unchanged', at, item, etag: '3'.repeat(32)},
        {state: 'quarantined', reason: 'duplicate', entry: 'a.json/q-1', etag: '2'.repeat(32)},
        {state: 'stored', at, item},
      ],
    }
    expect(historyLines(status)).toEqual([
      `    current  unchanged    (already stored exactly so as Bonobo / TRACK#Kerala; nothing changed, ${at})  etag ${'3'.repeat(32)}`,
      `             quarantined  duplicate  [a.json/q-1]  etag ${'2'.repeat(32)}`,
      `             stored       (Bonobo / TRACK#Kerala, ${at})  etag unknown`,
    ])
  })

  it('has nothing to add for a key uploaded once, or never', () => {
    expect(historyLines({key: 'a.json', state: 'stored', history: [{state: 'stored', at, item}]})).toEqual([])
    expect(historyLines({key: 'a.json', state: 'not-found', history: []})).toEqual([])
    expect(historyLines({key: 'a.json', state: 'stored'})).toEqual([])
  })

  it("points a batch's history line at its own quarantined records", () => {
    const status: KeyStatus = {
      key: 'b.ndjson',
      state: 'batch',
      history: [
        {state: 'batch', at, counts, etag: 'e2'},
        {state: 'batch', at, counts, etag: 'e1'},
      ],
    }
    expect(historyLines(status)[1]).toContain("--prefix 'b.ndjson/'")
  })
})

describe('waitTimedOutLine', () => {
  it('says how long it waited and how to see the outcomes later', () => {
    expect(waitTimedOutLine('5m', ['catalog/', '--prefix', '2024/06', '--local'])).toBe(
      'Timed out after 5m waiting for outcomes; see them later with: eventpulse status catalog/ --prefix 2024/06 --local',
    )
    expect(waitTimedOutLine('5m', ["it's here.json"])).toBe(
      "Timed out after 5m waiting for outcomes; see them later with: eventpulse status 'it'\\''s here.json'",
    )
  })
})
