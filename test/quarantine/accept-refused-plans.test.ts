import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {planAccept} from '#quarantine/accept.js'
import {startEmulators, TABLE, type Emulators} from '../cli/helpers/emulators.js'
import {localTarget} from './helpers/entries.js'
import {quarantined} from './helpers/quarantined.js'

// The plans `quarantine accept --json` prints for an entry it refuses: why, and no change (nothing would be
// replaced), on the local S3 and DynamoDB.

let e: Emulators
let target: PipelineTarget

beforeAll(async () => {
  e = await startEmulators()
  const s3Only = localTarget(e.s3)
  target = {...s3Only, dynamodb: e.dynamodb, resources: {...s3Only.resources, table: TABLE}}
})
afterAll(() => e?.stop())

describe('a refused accept plan', () => {
  it('of an entry that is not a duplicate: says what it was quarantined as, and changes nothing', async () => {
    const entry = await quarantined(e.s3, 'accept/schema.json', '{"ArtistID": "Moby"}')
    const plan = await planAccept(target, {...entry, reason: 'schema'})
    expect(plan.conflict).toBe('it is not a duplicate (quarantined as schema)')
    expect(plan.changes).toEqual([])
  })

  it('of an entry with no reason recorded: says unknown', async () => {
    const entry = await quarantined(e.s3, 'accept/unknown.json', '{"ArtistID": "Moby"}')
    expect((await planAccept(target, {...entry, reason: undefined})).conflict).toBe(
      'it is not a duplicate (quarantined as unknown)',
    )
  })

  it('of a duplicate whose stored item is gone: says so, and changes nothing', async () => {
    const entry = await quarantined(e.s3, 'accept/gone.json', '{"ArtistID": "Gone", "ItemID": "TRACK#one"}')
    const plan = await planAccept(target, {...entry, reason: 'duplicate', judgedVersion: 1})
    expect(plan.conflict).toBe('the stored item is gone (deleted since it was judged)')
    expect(plan.changes).toEqual([])
  })
})
