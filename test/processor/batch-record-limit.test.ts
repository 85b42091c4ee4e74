import {afterAll, beforeAll, expect, test, vi} from 'vitest'

import {decodeMetadataValue, ITEM_METADATA, QUARANTINE_METADATA, quarantineKey} from '#contract/pipeline-contract.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// A batch past the record limit, with the limit lowered to 2 records (a million records would take minutes here).
vi.mock('#contract/limits.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('#contract/limits.js')>()),
  MAX_BATCH_RECORDS: 2,
}))

let t: TestPipeline

beforeAll(async () => {
  t = await startTestPipeline()
})

afterAll(() => stopTestPipeline(t))

const track = (n: number) => JSON.stringify({ArtistID: 'Limit Artist', ItemID: `TRACK#${n}`, EntityType: 'Track'})

test('records past the per-batch limit are quarantined as too-large, each at its own line, saying why', async () => {
  const key = 'limits/long.ndjson'
  // Blank lines are not records: record 3 is line 4.
  const etag = await t.upload(key, [track(1), '', track(2), track(3), track(4)].join('\n'))
  await t.pipeline.idle()

  const stored = (await t.items()).filter((item) => item[ITEM_METADATA.sourceKey]?.S === key)
  expect(stored.map((item) => item[ITEM_METADATA.sourceLine].N).sort()).toEqual(['1', '3'])
  for (const [line, record] of [
    [4, 3],
    [5, 4],
  ]) {
    const {metadata, body} = await t.quarantined(quarantineKey(key, {etag}, line))
    expect(body).toBe(track(record))
    expect(metadata[QUARANTINE_METADATA.reason]).toBe('too-large')
    expect(decodeMetadataValue(metadata[QUARANTINE_METADATA.message])).toBe(
      `record ${record} is past the limit of 2 records per batch; split the file`,
    )
  }
  expect(t.notifications.filter((n) => n.sourceKey === key)).toEqual([
    expect.objectContaining({
      batch: expect.objectContaining({
        counts: {records: 4, stored: 2, unchanged: 0, quarantined: 2, reasons: {'too-large': 2}},
        problems: [
          {line: 4, path: '', reason: 'too-large'},
          {line: 5, path: '', reason: 'too-large'},
        ],
      }),
    }),
  ])
})
