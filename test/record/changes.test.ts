import {describe, expect, it} from 'vitest'

import {changeLines, recordChanges} from '#record/changes.js'

// The one comparison `items history`, `quarantine accept` and the review show: what changed from one version of a
// record to the next, attribute by attribute.

const stored = {
  ArtistID: {S: 'Odesza'},
  ItemID: {S: 'TRACK#Loyal'},
  Streams: {N: '10'},
  Year: {N: '2016'},
  Duration: {N: '200'},
  ep_version: {N: '2'},
  ep_source_key: {S: 'a.json'},
}
const next = {
  ArtistID: {S: 'Odesza'},
  ItemID: {S: 'TRACK#Loyal'},
  Streams: {N: '25'},
  Duration: {N: '200.0'},
  Features: {L: [{S: 'Naomi Wild'}]},
  ep_version: {N: '3'},
  ep_source_key: {S: 'b.json'},
}

describe('what changed from one version to the next', () => {
  it('is each added, removed and changed attribute, in name order, its values as plain JSON', () => {
    expect(recordChanges(stored, next)).toEqual([
      {attribute: 'Features', change: 'added', after: ['Naomi Wild']},
      {attribute: 'Streams', change: 'changed', before: 10, after: 25},
      {attribute: 'Year', change: 'removed', before: 2016},
    ])
  })

  it("leaves out the pipeline's own attributes and those asked to be ignored, and numbers equal by value", () => {
    expect(recordChanges(stored, next, ['Streams', 'Features'])).toEqual([
      {attribute: 'Year', change: 'removed', before: 2016},
    ])
    expect(recordChanges(stored, {...stored, ep_version: {N: '9'}, ep_changed_by: {S: 'admin'}})).toEqual([])
  })
})

describe('a change in one line', () => {
  it('marks added with +, removed with -, and shows a change as before → after', () => {
    expect(changeLines(recordChanges(stored, next))).toEqual([
      '+ Features: ["Naomi Wild"]',
      '  Streams: 10 → 25',
      '- Year: 2016',
    ])
  })
})
