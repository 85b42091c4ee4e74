import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {listItems} from '#items/read-items.js'
import {localClients, localTarget} from '#local/target.js'
import {startTestPipeline, stopTestPipeline, type TestPipeline} from './helpers.js'

// Canary records (`eventpulse selftest`): the reserved ArtistID is taken under selftest/ only.

let t: TestPipeline
let selftestRole: S3Client

beforeAll(async () => {
  t = await startTestPipeline()
  const {state} = t.pipeline
  selftestRole = localClients({endpoints: state.endpoints, credentials: state.roleCredentials.selftest}).s3
})

afterAll(async () => {
  selftestRole.destroy()
  await stopTestPipeline(t)
})

const canary = (itemId: string) => JSON.stringify({ArtistID: 'eventpulse-selftest', ItemID: itemId})

/** Puts as the selftest role, the only one that may write under selftest/. */
const putAsSelftest = (key: string, body: string) =>
  selftestRole.send(
    new PutObjectCommand({Bucket: 'eventpulse-processing', Key: key, Body: Buffer.from(body), IfNoneMatch: '*'}),
  )

describe('canary records', () => {
  test('outside selftest/ a canary is quarantined as schema, saying why, and notified as any record', async () => {
    await t.upload('drop/canary.json', canary('TRACK#Outside'))
    await t.pipeline.idle()
    const notification = t.notifications.find((n) => n.sourceKey === 'drop/canary.json')
    expect(notification).toMatchObject({outcome: 'quarantined', reason: 'schema'})
    expect(notification?.canary).toBeUndefined()
    const entry = await t.quarantined(notification!.quarantineKey!)
    expect(decodeURIComponent(entry.metadata['ep-message'])).toContain(
      'ArtistID "eventpulse-selftest" is reserved for the canary records of `eventpulse selftest`',
    )
    expect(await t.item('eventpulse-selftest', 'TRACK#Outside')).toBeUndefined()
  })

  test('a batch line outside selftest/ is quarantined as schema too, its other lines stored', async () => {
    await t.upload(
      'drop/mixed.ndjson',
      `${canary('TRACK#Line1')}\n${JSON.stringify({ArtistID: 'A', ItemID: 'TRACK#B'})}\n`,
    )
    await t.pipeline.idle()
    const notification = t.notifications.find((n) => n.sourceKey === 'drop/mixed.ndjson')
    expect(notification?.batch?.counts).toMatchObject({stored: 1, quarantined: 1, reasons: {schema: 1}})
    expect(await t.item('eventpulse-selftest', 'TRACK#Line1')).toBeUndefined()
  })

  test('under selftest/ a canary is stored and its notification marked as a canary; items --all leave it out', async () => {
    await putAsSelftest('selftest/run/stored.json', canary('TRACK#Inside'))
    await putAsSelftest('selftest/run/batch.ndjson', `${canary('TRACK#InsideBatch')}\n`)
    await t.pipeline.idle()
    const stored = t.notifications.find((n) => n.sourceKey === 'selftest/run/stored.json')
    expect(stored).toMatchObject({outcome: 'stored', canary: true})
    const batch = t.notifications.find((n) => n.sourceKey === 'selftest/run/batch.ndjson')
    expect(batch).toMatchObject({outcome: 'batch', canary: true})
    expect(batch?.batch?.counts).toMatchObject({stored: 1, quarantined: 0})
    expect(await t.item('eventpulse-selftest', 'TRACK#Inside')).toBeDefined()

    await t.upload('drop/someone.json', JSON.stringify({ArtistID: 'Someone', ItemID: 'TRACK#Real'}))
    await t.pipeline.idle()
    const target = localTarget(t.pipeline.state, {clients: t.pipeline})
    const all = []
    for await (const item of listItems(target, {typed: false})) all.push(`${item.artistId} ${item.itemId}`)
    expect(all).toContain('Someone TRACK#Real')
    expect(all.filter((item) => item.startsWith('eventpulse-selftest'))).toEqual([])
    const canaries = []
    for await (const item of listItems(target, {artistId: 'eventpulse-selftest', typed: false}))
      canaries.push(item.itemId)
    expect(canaries.sort()).toEqual(['TRACK#Inside', 'TRACK#InsideBatch'])
  })
})
