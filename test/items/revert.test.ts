import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {itemHistory} from '#items/history.js'
import {applyRevert, planRevert} from '#items/revert.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline, trackRecord} from '../processor/helpers.js'
import {adminUpload} from './helpers.js'

// `items revert` in-process, against the local pipeline's real emulators and processor. Races are interleaved by
// planning the revert, then letting another change in, then applying it.

let t: TestPipeline
let admin: ReturnType<typeof adminOf>
let target: PipelineTarget

beforeAll(async () => {
  t = await startTestPipeline()
  admin = adminOf(t.pipeline)
  target = admin.target
})

afterAll(async () => {
  admin?.s3.destroy()
  await stopTestPipeline(t)
})

const context = () => ({target, notifier: admin.notifier, by: 'quarantine-admin'})

const send = (key: string, body: string) => adminUpload(t, admin, key, body)

/** An item stored at Streams 10, then replaced at 20 and 30: versions 1 to 3. */
async function threeVersions(artist: string) {
  await send(`${artist}/v1.json`, trackRecord(artist, 'song', {Streams: 10}))
  await send(`replace/${artist}/v2.json`, trackRecord(artist, 'song', {Streams: 20}))
  await send(`replace/${artist}/v3.json`, trackRecord(artist, 'song', {Streams: 30, Year: 2024}))
}

const key = (artist: string) => ({artistId: artist, itemId: 'TRACK#song'})

describe('items revert', () => {
  test('restores the version before the current as a new version, kept in the history, notified as replaced', async () => {
    await threeVersions('Undo')
    const plan = await planRevert(target, key('Undo'))
    expect(plan).toMatchObject({currentVersion: 3, toVersion: 2})
    expect(plan.changes).toEqual([
      {attribute: 'Streams', change: 'changed', before: 30, after: 20},
      {attribute: 'Year', change: 'removed', before: 2024},
    ])
    await applyRevert(context(), plan)

    expect(await t.item('Undo', 'TRACK#song')).toMatchObject({
      Streams: {N: '20'},
      ep_version: {N: '4'},
      ep_change: {S: 'reverted'},
      ep_changed_by: {S: 'quarantine-admin'},
      // What the record came from: the upload of version 2.
      ep_source_key: {S: 'replace/Undo/v2.json'},
    })
    expect((await t.item('Undo', 'TRACK#song'))?.Year).toBeUndefined()
    const history = await itemHistory(target, key('Undo'))
    expect(history?.map((v) => [v.version, v.change])).toEqual([
      [4, 'reverted'],
      [3, 'replaced'],
      [2, 'replaced'],
      [1, 'stored'],
    ])
    expect(history?.[0].changes).toEqual(plan.changes)
    const announced = (await t.outbox()).filter((n) => n.outcome === 'replaced' && n.item?.ArtistID === 'Undo')
    expect(announced.at(-1)).toMatchObject({
      subject: 'EventPulse: replaced Undo / TRACK#song',
      message: expect.stringMatching(/^A revert to version 2 replaced the item/),
    })

    // --to 1: the first record again, as version 5.
    await applyRevert(context(), await planRevert(target, key('Undo'), 1))
    expect(await t.item('Undo', 'TRACK#song')).toMatchObject({Streams: {N: '10'}, ep_version: {N: '5'}})
  })

  test('a revert racing a replace never overwrites the newer change: Conflict, nothing written', async () => {
    await threeVersions('Racy')
    const plan = await planRevert(target, key('Racy'))
    await send('replace/Racy/v4.json', trackRecord('Racy', 'song', {Streams: 40}))

    await expect(applyRevert(context(), plan)).rejects.toMatchObject({code: 'Conflict', exitCode: 1})
    expect(await t.item('Racy', 'TRACK#song')).toMatchObject({Streams: {N: '40'}, ep_version: {N: '4'}})
    expect((await itemHistory(target, key('Racy')))?.map((v) => v.change)).toEqual([
      'replaced',
      'replaced',
      'replaced',
      'stored',
    ])
  })

  test('two reverts from one version at once: exactly one wins', async () => {
    await threeVersions('Twice')
    const plans = [await planRevert(target, key('Twice')), await planRevert(target, key('Twice'), 1)]
    const settled = await Promise.allSettled(plans.map((plan) => applyRevert(context(), plan)))
    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await t.item('Twice', 'TRACK#song')).toMatchObject({ep_version: {N: '4'}})
  })

  test('says what is missing: no such item, no earlier version, a version not kept', async () => {
    await expect(planRevert(target, key('Nobody'))).rejects.toMatchObject({
      code: 'NotFound',
      exitCode: 1,
      message: 'No item stored under ArtistID "Nobody", ItemID "TRACK#song".',
    })
    await send('Single/v1.json', trackRecord('Single', 'song'))
    await expect(planRevert(target, key('Single'))).rejects.toMatchObject({
      message: 'ArtistID "Single", ItemID "TRACK#song" has no earlier version to revert to (it is version 1).',
    })
    await threeVersions('Kept')
    await expect(planRevert(target, key('Kept'), 7)).rejects.toMatchObject({
      message: 'Version 7 of ArtistID "Kept", ItemID "TRACK#song" is not kept (kept: 2, 1).',
    })
    await expect(planRevert(target, key('Kept'), 3)).rejects.toMatchObject({
      message: 'Version 3 of ArtistID "Kept", ItemID "TRACK#song" is the current one: nothing to revert.',
    })
  })
})
