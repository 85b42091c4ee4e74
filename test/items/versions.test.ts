import {PutItemCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {itemHistory, itemVersions} from '#items/history.js'
import {applyRevert, planRevert} from '#items/revert.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline, trackRecord} from '../processor/helpers.js'
import {adminUpload} from './helpers.js'

// `items history` and what `items revert` plans and announces, in-process against the local pipeline's emulators and
// processor: each version as it is shown (how it came, from which upload and line, by whom, what changed), and items
// put in the tables by hand for the shapes an upload does not make.

let t: TestPipeline
let admin: ReturnType<typeof adminOf>
let target: PipelineTarget
const etags: Record<string, string> = {}
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

beforeAll(async () => {
  t = await startTestPipeline()
  admin = adminOf(t.pipeline)
  target = admin.target
  // Version 1 from a one-record upload by alice; 2 from the second line of a batch; 3 from a replacement by bob.
  etags.v1 = await adminUpload(t, admin, 'Hist/v1.json', trackRecord('Hist', 'song', {Streams: 10}), {
    'ep-requested-by': 'alice',
  })
  etags.v2 = await adminUpload(
    t,
    admin,
    'replace/Hist/batch.ndjson',
    `${trackRecord('Hist', 'other')}\n${trackRecord('Hist', 'song', {Streams: 20, Year: 2024})}\n`,
  )
  etags.v3 = await adminUpload(t, admin, 'replace/Hist/v3.json', trackRecord('Hist', 'song', {Streams: 30}), {
    'ep-requested-by': 'bob',
  })
})

afterAll(async () => {
  admin?.s3.destroy()
  await stopTestPipeline(t)
})

const song = (artistId: string) => ({artistId, itemId: 'TRACK#song'})

/** Puts an item straight into the catalog (and its kept versions into the history), as no upload makes it. */
async function putByHand(item: Record<string, unknown>, kept: Record<string, unknown>[] = []) {
  const {table, historyTable} = t.pipeline.state
  await t.pipeline.dynamodb.send(new PutItemCommand({TableName: table, Item: item as never}))
  for (const version of kept)
    await t.pipeline.dynamodb.send(
      new PutItemCommand({
        TableName: historyTable,
        Item: {
          ItemKey: {S: `["${(item.ArtistID as {S: string}).S}","TRACK#song"]`},
          Version: version.ep_version,
          SupersededAt: {S: '2026-11-01T00:00:00.000Z'},
          ...version,
        } as never,
      }),
    )
}
const bare = (artist: string, streams: number) => ({
  ArtistID: {S: artist},
  ItemID: {S: 'TRACK#song'},
  EntityType: {S: 'Track'},
  Streams: {N: String(streams)},
})

describe('items history', () => {
  it('every version newest first: how it came, when, from which upload and line, by whom, and what changed', async () => {
    expect(await itemHistory(target, song('Hist'))).toEqual([
      {
        version: 3,
        current: true,
        change: 'replaced',
        at: expect.stringMatching(ISO),
        source: {key: 'replace/Hist/v3.json', etag: etags.v3},
        by: 'bob',
        changes: [
          {attribute: 'Streams', change: 'changed', before: 20, after: 30},
          {attribute: 'Year', change: 'removed', before: 2024},
        ],
      },
      {
        version: 2,
        current: false,
        change: 'replaced',
        at: expect.stringMatching(ISO),
        source: {key: 'replace/Hist/batch.ndjson', etag: etags.v2, line: 2},
        by: undefined,
        changes: [
          {attribute: 'Streams', change: 'changed', before: 10, after: 20},
          {attribute: 'Year', change: 'added', after: 2024},
        ],
      },
      {
        version: 1,
        current: false,
        change: 'stored',
        at: expect.stringMatching(ISO),
        source: {key: 'Hist/v1.json', etag: etags.v1},
        by: 'alice',
        changes: [],
      },
    ])
  })

  it('no item: undefined, for history and versions alike', async () => {
    expect(await itemHistory(target, song('Nobody'))).toBeUndefined()
    expect(await itemVersions(target, song('Nobody'))).toBeUndefined()
  })

  it('an item stored with no metadata at all: version 1, stored, from nowhere known', async () => {
    await putByHand(bare('Plain', 5))
    expect(await itemHistory(target, song('Plain'))).toEqual([
      {version: 1, current: true, change: 'stored', at: undefined, source: undefined, by: undefined, changes: []},
    ])
  })

  it('a version kept by a replacement that has not finished is the current one: shown once', async () => {
    await putByHand({...bare('Half', 2), ep_version: {N: '2'}}, [
      {...bare('Half', 2), ep_version: {N: '2'}},
      {...bare('Half', 1), ep_version: {N: '1'}},
    ])
    const versions = await itemVersions(target, song('Half'))
    expect(versions?.map((item) => [item.ep_version.N, item.Streams.N, 'ItemKey' in item])).toEqual([
      ['2', '2', false],
      ['1', '1', true],
    ])
    // What the history table adds to a kept version is no change of the item's.
    expect((await itemHistory(target, song('Half')))?.map((version) => version.changes)).toEqual([
      [{attribute: 'Streams', change: 'changed', before: 1, after: 2}],
      [],
    ])
  })

  it('needs a target with the tables', async () => {
    const {dynamodb: _, ...withoutTables} = target
    await expect(itemHistory(withoutTables, song('Hist'))).rejects.toThrow(
      'items history needs a target resolved with the tables',
    )
  })
})

describe('items revert: the plan and what it announces', () => {
  it('restores the record and the upload it came from (key, ETag, line), nothing of how or when it was made', async () => {
    const plan = await planRevert(target, song('Hist'))
    expect(plan.item).toEqual({ArtistID: 'Hist', ItemID: 'TRACK#song'})
    expect(plan).toMatchObject({currentVersion: 3, toVersion: 2})
    expect(plan.current).toMatchObject({ep_version: {N: '3'}, Streams: {N: '30'}})
    expect(plan.restore).toEqual({
      ArtistID: {S: 'Hist'},
      ItemID: {S: 'TRACK#song'},
      EntityType: {S: 'Track'},
      Duration: {N: '200'},
      Streams: {N: '20'},
      Year: {N: '2024'},
      ep_source_key: {S: 'replace/Hist/batch.ndjson'},
      ep_source_etag: {S: etags.v2},
      ep_source_line: {N: '2'},
    })
    expect(plan.changes).toEqual([
      {attribute: 'Streams', change: 'changed', before: 30, after: 20},
      {attribute: 'Year', change: 'added', after: 2024},
    ])

    const at = new Date('2026-12-24T18:00:00.000Z')
    await applyRevert({target, notifier: admin.notifier, by: 'carol', now: () => at}, plan)
    expect(await t.item('Hist', 'TRACK#song')).toMatchObject({
      ep_version: {N: '4'},
      ep_change: {S: 'reverted'},
      ep_changed_by: {S: 'carol'},
      ep_ingested_at: {S: '2026-12-24T18:00:00.000Z'},
    })
    expect((await t.outbox()).at(-1)).toEqual({
      outcome: 'replaced',
      subject: 'EventPulse: replaced Hist / TRACK#song',
      message:
        'A revert to version 2 replaced the item ArtistID "Hist", ItemID "TRACK#song"; its earlier version is in ' +
        'the history (`eventpulse items history`).',
      item: {ArtistID: 'Hist', ItemID: 'TRACK#song'},
      bucket: 'eventpulse-processing',
      sourceKey: 'replace/Hist/batch.ndjson',
      etag: etags.v2,
      at: '2026-12-24T18:00:00.000Z',
    })
  })

  it('a version from no known upload is announced with an empty source', async () => {
    await putByHand({...bare('Nowhere', 2), ep_version: {N: '2'}}, [{...bare('Nowhere', 1), ep_version: {N: '1'}}])
    const plan = await planRevert(target, song('Nowhere'))
    expect(plan.restore).toEqual(bare('Nowhere', 1))
    await applyRevert({target, notifier: admin.notifier}, plan)
    expect((await t.outbox()).at(-1)).toMatchObject({sourceKey: '', etag: '', at: expect.stringMatching(ISO)})
    expect((await t.item('Nowhere', 'TRACK#song'))?.ep_changed_by).toBeUndefined()
  })

  it('says what is missing, with where to look when a version is not kept', async () => {
    await expect(planRevert(target, song('Nobody'))).rejects.toMatchObject({
      code: 'NotFound',
      exitCode: 1,
      message: 'No item stored under ArtistID "Nobody", ItemID "TRACK#song".',
      hint: undefined,
    })
    // --to 0 is a version like any other: not kept.
    await expect(planRevert(target, song('Half'), 0)).rejects.toMatchObject({
      code: 'NotFound',
      exitCode: 1,
      message: 'Version 0 of ArtistID "Half", ItemID "TRACK#song" is not kept (kept: 1).',
      hint: 'Its versions: eventpulse items history ARTIST ITEM.',
    })
    await expect(planRevert(target, song('Plain'))).rejects.toMatchObject({
      message: 'ArtistID "Plain", ItemID "TRACK#song" has no earlier version to revert to (it is version 1).',
      hint: 'Its versions: eventpulse items history ARTIST ITEM.',
    })
    await expect(planRevert(target, song('Half'), 2)).rejects.toMatchObject({
      code: 'NotFound',
      exitCode: 1,
      message: 'Version 2 of ArtistID "Half", ItemID "TRACK#song" is the current one: nothing to revert.',
      hint: undefined,
    })
  })

  it('a revert that lost its race: Conflict, what happened and what to do', async () => {
    await putByHand({...bare('Raced', 3), ep_version: {N: '3'}}, [{...bare('Raced', 2), ep_version: {N: '2'}}])
    const plan = await planRevert(target, song('Raced'))
    await putByHand({...bare('Raced', 4), ep_version: {N: '4'}})
    await expect(applyRevert({target, notifier: admin.notifier}, plan)).rejects.toMatchObject({
      exitCode: 1,
      code: 'Conflict',
      message:
        'Not reverted ArtistID "Raced", ItemID "TRACK#song": it changed while reverting (it is no longer version 3); ' +
        'nothing was replaced.',
      hint: 'See what changed (eventpulse items history), then revert again.',
    })
  })
})
