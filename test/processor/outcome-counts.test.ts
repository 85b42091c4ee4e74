import {expect, test} from 'vitest'

import {countResult, emptyOutcomeCounts, tallyOutcomes} from '#processor/metrics.js'
import type {ProcessResult} from '#processor/results.js'

// What one upload counts as (the stack alarms on skipped and recoveredBySweep), through the in-memory tally.

const stored: ProcessResult = {
  outcome: 'stored',
  key: 'a.json',
  item: {ArtistID: 'A', ItemID: 'B'},
  alreadyStored: false,
}
const skipped: ProcessResult = {outcome: 'skipped', key: 'a.json', why: 'gone'}

test('an upload the sweep found and handled counts as recovered too; one it found already gone does not', () => {
  const tally = tallyOutcomes()
  countResult(tally, stored, true)
  countResult(tally, skipped, true)
  expect(tally.counts).toEqual({...emptyOutcomeCounts(), stored: 1, skipped: 1, recoveredBySweep: 1})
})

test('the tally counts uploads by outcome, and quarantined ones by reason too', () => {
  const tally = tallyOutcomes()
  tally.count('stored', 2)
  tally.count('quarantined', 1, 'schema')
  tally.count('quarantined', 2, 'schema')
  tally.count('quarantined', 1, 'duplicate')
  expect(tally.counts).toEqual({...emptyOutcomeCounts(), stored: 2, quarantined: 4, reasons: {schema: 3, duplicate: 1}})
})
