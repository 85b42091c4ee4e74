import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeMetadataValue, parseQuarantineKey, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// Record content stays in the quarantine entry (for the admin): logs and notifications carry keys, the reason and
// where the problem is, never the record's other values.

const SECRET = 'Private-Value-7f3a'
let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline()
})
afterAll(() => stopTestPipeline(t))

const cases = {
  'wrong-type.json': JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#a', Duration: `${SECRET}-3`}),
  'unknown-attribute.json': JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#b', Genre: SECRET}),
  'broken.json': `{"ArtistID": "A", "ItemID": "TRACK#c", "Title": "${SECRET}",}`,
  'bad-list.json': JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#d', Features: [SECRET, 7]}),
}

describe('what leaves the processor', () => {
  it('names the key, the reason and where the problem is, but no value of the record', async () => {
    for (const [key, body] of Object.entries(cases)) await t.upload(key, body)
    await t.pipeline.idle()
    const quarantined = await t.keys(t.pipeline.state.quarantineBucket)

    for (const key of Object.keys(cases)) {
      const notification = t.notifications.find((n) => n.sourceKey === key)
      expect(notification, key).toMatchObject({outcome: 'quarantined'})
      expect(JSON.stringify(notification)).not.toContain(SECRET)
      const logged = t.logs.filter((line) => line.key === key)
      expect(logged.length, key).toBeGreaterThan(0)
      expect(JSON.stringify(logged)).not.toContain(SECRET)
      // Where the problem is still shows (line and column, and the attribute where known).
      expect(notification!.message, key).toMatch(/line \d+, column \d+/)
    }
    expect(t.notifications.find((n) => n.sourceKey === 'wrong-type.json')!.message).toContain('at /Duration')

    // The admin still sees the value in the entry's message.
    const entry = quarantined.find((k) => parseQuarantineKey(k)?.sourceKey === 'wrong-type.json')!
    const {metadata} = await t.quarantined(entry)
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toContain(SECRET)
  })
})
