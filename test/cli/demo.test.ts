import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {sameRecord} from '#record/same-record.js'
import {isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'

describe('demo', () => {
  it('runs the examples through a throw-away local pipeline and reports each outcome as expected', async () => {
    const xdg = isolatedXdg()
    const run = await runCli(['demo', '--json'], {env: xdg})
    expect(run.exitCode).toBe(0)
    const {status, result} = JSON.parse(run.stdout)
    expect(status).toBe(0)
    expect(result.asExpected).toBe(true)
    const byKey = Object.fromEntries(result.files.map((f: {key: string; outcome: string}) => [f.key, f.outcome]))
    expect(byKey['valid/skrillex-rumble.json']).toBe('stored')
    expect(byKey['invalid/trailing-comma.json']).toBe('quarantined: invalid-json')
    expect(byKey['demo/duplicate/skrillex-rumble-again.json']).toBe('quarantined: duplicate')
    expect(result.quarantine.map((e: {sourceKey: string}) => e.sourceKey)).toContain(
      'demo/duplicate/skrillex-rumble-again.json',
    )
    // Its own temporary directory, removed afterwards: nothing in the user's data directory, no clash with `local
    // start`.
    expect(existsSync(join(xdg.XDG_DATA_HOME!, 'eventpulse', 'local'))).toBe(false)
    expect(existsSync(result.dataDir)).toBe(false)
  })

  it('prints what was stored and what was quarantined and why, then the quarantine list', async () => {
    const run = await runCli(['demo'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/Stored \(3\):\n {2}stored {7}valid\//)
    expect(run.stdout).toMatch(/Quarantined, and why \(5\):\n/)
    expect(run.stdout).toMatch(/quarantined {2}demo\/duplicate\/skrillex-rumble-again\.json {2}duplicate: /)
    expect(run.stdout).toMatch(/Quarantine \(eventpulse quarantine list\): 5 entries/)
    expect(run.stdout).toContain('Stopping the local pipeline.')
  })

  it('ships a duplicate: the ArtistID and ItemID of a valid example with other content (the same record would be unchanged)', () => {
    const read = (path: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'examples', path), 'utf8'))
    const duplicate = read('demo/duplicate/skrillex-rumble-again.json')
    const original = read('valid/skrillex-rumble.json')
    expect([duplicate.ArtistID, duplicate.ItemID]).toEqual([original.ArtistID, original.ItemID])
    expect(sameRecord(duplicate, original)).toBe(false)
  })
})
