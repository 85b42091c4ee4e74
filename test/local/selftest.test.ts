import {rmSync} from 'node:fs'
import {dirname} from 'node:path'

import {ListObjectsCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {describe, expect, test} from 'vitest'

import {localClients} from '#local/target.js'
import {localStartForSuite} from '../helpers/local-process.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'

describe('selftest through a real local start', () => {
  const local = localStartForSuite()
  const {env} = local

  test('passes, one line per step, and leaves nothing that items list --all, quarantine list or local start show', async () => {
    const selftest = await runCli(['selftest', '--local'], {env})
    expect(selftest.stderr).toBe('')
    expect(selftest.exitCode).toBe(0)
    const lines = selftest.stdout.trim().split('\n')
    expect(lines.slice(0, -1).map((line) => line.replace(/: .*/, ''))).toEqual([
      'ok    send',
      'ok    stored canary',
      'ok    quarantined canary',
      'ok    batch canary',
      'ok    stored canary notified',
      'ok    quarantined canary notified',
      'ok    batch canary notified',
      'ok    clean up',
    ])
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/ \(\d+\.\d s\)$/)
    expect(lines.at(-1)).toMatch(/^Selftest passed on local pipeline/)
    expect(selftest.stdout).toContain('removed 2 items, 2 quarantine entries, 1 outcome records')

    const items = await runCli(['items', 'list', '--all', '--local', '--json'], {env})
    expect(JSON.parse(items.stdout).result.items).toEqual([])
    // Not just left out of the listing: gone.
    const canaryItems = await runCli(['items', 'list', '--artist', 'eventpulse-selftest', '--local', '--json'], {env})
    expect(JSON.parse(canaryItems.stdout).result.items).toEqual([])
    const entries = await runCli(['quarantine', 'list', '--local', '--json'], {env})
    expect(JSON.parse(entries.stdout).result.entries).toEqual([])
    const {s3} = localClients(local.state())
    const waiting = await s3.send(new ListObjectsCommand({Bucket: 'eventpulse-processing', Prefix: 'selftest/'}))
    expect(waiting.Contents ?? []).toEqual([])
    // The canaries' notifications went to the outbox, which selftest read, but local start printed none of them.
    expect(local.run().stdout()).not.toContain('selftest/')
    s3.destroy()
  })

  test("selftest/ is the selftest role's alone: the uploader is refused there, as on AWS", async () => {
    const state = local.state()
    const {s3} = localClients({...state, credentials: state.roleCredentials.uploader})
    await expect(
      s3.send(
        new PutObjectCommand({Bucket: state.processingBucket, Key: 'selftest/mine.json', Body: '{}', IfNoneMatch: '*'}),
      ),
    ).rejects.toMatchObject({name: 'AccessDenied'})
    s3.destroy()
  })

  test('--json gives one document with every step', async () => {
    const selftest = await runCli(['selftest', '--local', '--json'], {env})
    expect(selftest.exitCode).toBe(0)
    const document = JSON.parse(selftest.stdout)
    expect(document.status).toBe(0)
    expect(document.result.ok).toBe(true)
    expect(document.result.steps).toHaveLength(8)
  })
})

describe('selftest with a local start that drops every event (test hook)', () => {
  const local = localStartForSuite({EVENTPULSE_TEST_DROP_EVENTS: '1'})

  test('fails with exit 1, naming the local processor; and removes its canaries', async () => {
    const selftest = await runCli(['selftest', '--local', '--timeout', '3s'], {env: local.env})
    expect(selftest.exitCode).toBe(1)
    expect(selftest.stdout).toContain(
      'FAIL  stored canary: still waiting in the processing bucket: the pipeline never finished it (nor notified it)',
    )
    expect(selftest.stdout).toContain('likely cause: the local processor: it did not process the upload')
    expect(selftest.stdout.trim().split('\n').at(-1)).toBe('Selftest failed on local pipeline: 3 of 5 steps.')
    const {s3} = localClients(local.state())
    const left = await s3.send(new ListObjectsCommand({Bucket: 'eventpulse-processing', Prefix: 'selftest/'}))
    expect(left.Contents ?? []).toEqual([])
    s3.destroy()
  })
})

test('with no local pipeline running it fails as the other --local commands do (exit 4)', async () => {
  const env = isolatedXdg()
  try {
    const selftest = await runCli(['selftest', '--local'], {env})
    expect(selftest.exitCode).toBe(4)
    expect(selftest.stderr).toContain('The local pipeline is not running')
  } finally {
    rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
  }
})
