import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {sameRecord} from '#record/same-record.js'
import {isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {runningState, spawnLocalStart} from '../helpers/local-process.js'
import {pasteShell} from './helpers/paste.js'

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

  it('prints what was stored and what was quarantined and why, each once, and counts that agree', async () => {
    const run = await runCli(['demo'])
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain(`The 8 examples, to try the other commands on: ${join(PROJECT_ROOT, 'examples')}\n`)
    expect(run.stdout).toContain('Uploading 7 of the 8 examples, valid and invalid records,')
    expect(run.stdout).toContain('Uploading the last example, a duplicate of a record stored just before,')
    expect(run.stdout).toMatch(/Stored \(3\):\n {2}stored {7}valid\//)
    expect(run.stdout).toMatch(/Quarantined, and why \(5\):\n/)
    for (const key of [
      'valid/skrillex-rumble.json',
      'invalid/trailing-comma.json',
      'demo/duplicate/skrillex-rumble-again.json',
    ])
      expect(run.stdout.split(`  ${key}  `).length - 1, key).toBe(1)
    expect(run.stdout).toContain('The quarantine holds 5 entries')
    expect(run.stdout).toContain(
      '8 examples: 3 stored, 5 quarantined, each as expected.\nStopping the local pipeline.\n',
    )
  })

  it('ends saying how to see the same with the other commands, and those commands run as printed', async () => {
    const env = isolatedXdg()
    const run = await runCli(['demo'], {env})
    const after = run.stdout.slice(run.stdout.indexOf('To see the same with the other commands'))
    expect(after).toContain('`eventpulse local start` in one')
    const commands = after
      .split('\n')
      .filter((line) => line.startsWith('  eventpulse '))
      .map((line) => line.trim())
    expect(commands).toHaveLength(2)
    expect(commands[1]).toBe('eventpulse quarantine list --local')

    const pipeline = spawnLocalStart(env)
    const shell = pasteShell()
    try {
      await runningState(env, pipeline)
      const upload = await shell.paste(commands[0], env)
      expect(upload.stdout, upload.stderr).toContain('quarantined  trailing-comma.json')
      const list = await shell.paste(commands[1], env)
      expect(list.status, list.stderr).toBe(0)
      expect(list.stdout).toContain('trailing-comma.json')
    } finally {
      pipeline.child.kill('SIGINT')
      await pipeline.exited
      shell.remove()
    }
  })

  it('with --quiet, prints only what was refused or unexpected, and the summary', async () => {
    const run = await runCli(['demo', '--quiet'])
    expect(run.exitCode).toBe(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toBe('8 examples: 3 stored, 5 quarantined, each as expected.')
    expect(lines.slice(0, -1).every((line) => line.startsWith("  refused by upload's check: "))).toBe(true)
  })

  it('ships a duplicate: the ArtistID and ItemID of a valid example with other content (the same record would be unchanged)', () => {
    const read = (path: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'examples', path), 'utf8'))
    const duplicate = read('demo/duplicate/skrillex-rumble-again.json')
    const original = read('valid/skrillex-rumble.json')
    expect([duplicate.ArtistID, duplicate.ItemID]).toEqual([original.ArtistID, original.ItemID])
    expect(sameRecord(duplicate, original)).toBe(false)
  })
})
