import {describe, expect, it} from 'vitest'

import type {Notification} from '#processor/notifier.js'
import type {BatchCounts} from '#processor/results.js'
import {
  batchCountsHold,
  type Canary,
  canariesOf,
  newRunId,
  notificationProblem,
  storedItemIds,
} from '#selftest/canaries.js'

// What a selftest run uploads, and how it judges each notification it receives: the uploads and verdicts written out.

const [stored, quarantined, batch] = canariesOf('R1')

const counts = (extra: Partial<BatchCounts> = {}): BatchCounts =>
  ({records: 2, stored: 1, unchanged: 0, quarantined: 1, reasons: {schema: 1}, ...extra}) as BatchCounts

/** A notification that is right for the canary given, changed by `extra`. */
function notice(canary: Canary, extra: Partial<Notification> = {}): Notification {
  const base = {subject: 's', message: 'm', bucket: 'b', sourceKey: canary.key, etag: 'e', at: 'now', canary: true}
  if (canary === stored)
    return {...base, outcome: 'stored', item: {ArtistID: 'eventpulse-selftest', ItemID: 'TRACK#selftest-R1'}, ...extra}
  if (canary === quarantined) return {...base, outcome: 'quarantined', reason: 'schema', ...extra} as Notification
  return {...base, outcome: 'batch', batch: {outcomes: [], reasons: [], counts: counts(), problems: []}, ...extra}
}

describe("a run's uploads", () => {
  it('have an id of their time and a random part', () => {
    expect(newRunId(new Date('2026-12-07T12:34:56.789Z'))).toMatch(/^20261207T123456789Z-[0-9a-f]{8}$/)
    expect(newRunId()).not.toBe(newRunId())
  })

  it('are a valid record, one the schema refuses and a batch of one of each, under selftest/ and the reserved artist', () => {
    expect(canariesOf('R1')).toEqual([
      {
        name: 'stored canary',
        key: 'selftest/R1/stored.json',
        body: '{"ArtistID":"eventpulse-selftest","ItemID":"TRACK#selftest-R1","Title":"EventPulse selftest"}',
        end: {kind: 'stored', itemId: 'TRACK#selftest-R1'},
      },
      {
        name: 'quarantined canary',
        key: 'selftest/R1/quarantined.json',
        body: '{"ArtistID":"eventpulse-selftest","ItemID":"TRACK#selftest-R1-quarantined","Year":"not a year"}',
        end: {kind: 'quarantined', reason: 'schema'},
      },
      {
        name: 'batch canary',
        key: 'selftest/R1/batch.ndjson',
        body:
          '{"ArtistID":"eventpulse-selftest","ItemID":"TRACK#selftest-R1-batch"}\n' +
          '{"ArtistID":"eventpulse-selftest","ItemID":"TRACK#selftest-R1-bad","Year":"never"}\n',
        end: {kind: 'batch', storedItemId: 'TRACK#selftest-R1-batch', stored: 1, quarantined: 1, reason: 'schema'},
      },
    ])
    expect(storedItemIds([stored, quarantined, batch])).toEqual(['TRACK#selftest-R1', 'TRACK#selftest-R1-batch'])
  })
})

describe("a batch canary's counts", () => {
  const end = {kind: 'batch', storedItemId: 'x', stored: 1, quarantined: 1, reason: 'schema'} as const

  it('hold with one stored, one quarantined for the reason, and nothing else', () => {
    expect(batchCountsHold(end, counts())).toBe(true)
    expect(batchCountsHold(end, counts({stored: 2}))).toBe(false)
    expect(batchCountsHold(end, counts({quarantined: 0}))).toBe(false)
    expect(batchCountsHold(end, counts({reasons: {schema: 2}} as Partial<BatchCounts>))).toBe(false)
    expect(batchCountsHold(end, undefined)).toBe(false)
  })
})

describe("a canary's notification", () => {
  it('is right as it should be, with or without message attributes', () => {
    expect(notificationProblem(stored, {notification: notice(stored)})).toBeUndefined()
    expect(notificationProblem(quarantined, {notification: notice(quarantined)})).toBeUndefined()
    expect(notificationProblem(batch, {notification: notice(batch)})).toBeUndefined()
    expect(
      notificationProblem(stored, {notification: notice(stored), attributes: {canary: 'true', outcome: 'stored'}}),
    ).toBeUndefined()
    expect(
      notificationProblem(quarantined, {
        notification: notice(quarantined),
        attributes: {canary: 'true', outcome: 'quarantined', reason: 'schema'},
      }),
    ).toBeUndefined()
    expect(
      notificationProblem(batch, {
        notification: notice(batch),
        attributes: {canary: 'true', kind: 'batch', outcome: '["stored","quarantined"]', reason: '["schema"]'},
      }),
    ).toBeUndefined()
  })

  it('says what is wrong with it', () => {
    const problem = (canary: Canary, extra: Partial<Notification>) =>
      notificationProblem(canary, {notification: notice(canary, extra)})
    expect(problem(stored, {canary: undefined})).toBe('it is not marked as a canary')
    expect(problem(stored, {outcome: 'quarantined'})).toBe('its outcome is quarantined, not stored')
    expect(problem(stored, {item: {ArtistID: 'eventpulse-selftest', ItemID: 'TRACK#other'}})).toBe(
      'it names another item',
    )
    expect(problem(stored, {item: undefined})).toBe('it names another item')
    expect(problem(quarantined, {reason: 'too-large'})).toBe('its reason is too-large, not schema')
    expect(problem(batch, {batch: {outcomes: [], reasons: [], counts: counts({stored: 0}), problems: []}})).toBe(
      'its counts are wrong',
    )
    expect(problem(batch, {batch: undefined})).toBe('its counts are wrong')
  })

  it('names the message attributes that subscriptions filter on when they are wrong', () => {
    expect(
      notificationProblem(quarantined, {
        notification: notice(quarantined),
        attributes: {canary: 'true', outcome: 'quarantined', reason: 'duplicate'},
      }),
    ).toBe('its message attributes reason are not schema')
    expect(notificationProblem(batch, {notification: notice(batch), attributes: {outcome: 'batch'}})).toBe(
      'its message attributes canary, kind, outcome, reason are not true, batch, ["stored","quarantined"], ["schema"]',
    )
  })
})
