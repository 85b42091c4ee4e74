import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import {expect, test} from 'vitest'

import {parseQuarantineKey} from '#contract/pipeline-contract.js'
import type {LocalPipelineState} from '#local/state.js'
import {localClients} from '#local/target.js'
import {localDataDir, runningState, spawnLocalStart, waitFor} from '../helpers/local-process.js'
import {isolatedXdg} from '../helpers/run-cli.js'
import {body, expectRunning, isValid, keyOf, keys, storedBySourceKey} from './crash-helpers.js'

// A stress test (`npm run test:stress`): 400 objects written while the pipeline is SIGKILLed five times.

test('SIGKILLed at random moments while objects are written and processed, each restart runs on, and every acknowledged object ends in exactly one right place', async () => {
  const env = isolatedXdg()
  const total = 400
  const acknowledged = new Set<number>()
  let next = 0

  /** Writers put objects until the pipeline is killed; a PUT that got no answer is not tried again (it was never acknowledged). */
  const write = (state: LocalPipelineState, stop: () => boolean) => {
    const {s3} = localClients(state, {maxAttempts: 1})
    const writer = async () => {
      while (!stop() && next < total) {
        const i = next++
        await s3
          .send(new PutObjectCommand({Bucket: state.processingBucket, Key: keyOf(i), Body: body(i), IfNoneMatch: '*'}))
          .then(() => acknowledged.add(i))
          .catch(() => undefined)
      }
    }
    return Promise.all(Array.from({length: 8}, writer)).finally(() => s3.destroy())
  }

  for (let kill = 0; kill < 5; kill++) {
    const run = spawnLocalStart(env)
    const state = await runningState(env, run)
    await expectRunning(env, run)
    let killed = false
    const writing = write(state, () => killed)
    await sleep(200 + Math.random() * 800)
    run.child.kill('SIGKILL')
    killed = true
    expect(await run.exited).toBe('SIGKILL')
    await writing
  }
  expect(acknowledged.size).toBeGreaterThan(0)

  const run = spawnLocalStart(env)
  const state = await runningState(env, run)
  await expectRunning(env, run)
  await write(state, () => false)
  const {s3} = localClients(state)
  const inflight = join(localDataDir(env), 'inflight')
  await waitFor(
    'the processing bucket and in-flight events to empty',
    async () => {
      const inflightEvents = existsSync(inflight) ? readdirSync(inflight).length : 0
      return ((await keys(s3, state.processingBucket)).length === 0 && inflightEvents === 0) || undefined
    },
    30_000,
  )
  await expectRunning(env, run)

  const stored = await storedBySourceKey(state)
  const quarantined = new Map<string, string[]>()
  for (const key of await keys(s3, state.quarantineBucket)) {
    const source = parseQuarantineKey(key)!.sourceKey
    quarantined.set(source, [...(quarantined.get(source) ?? []), key])
  }
  s3.destroy()
  for (let i = 0; i < total; i++) {
    const places = {stored: stored.get(keyOf(i))?.length ?? 0, quarantined: quarantined.get(keyOf(i))?.length ?? 0}
    if (acknowledged.has(i))
      expect({i, ...places}).toEqual({i, stored: isValid(i) ? 1 : 0, quarantined: isValid(i) ? 0 : 1})
    else expect(places.stored + places.quarantined, `unacknowledged ${keyOf(i)}`).toBeLessThanOrEqual(1)
  }
  const deadLetters = join(localDataDir(env), 'dead-letter.jsonl')
  expect(existsSync(deadLetters) ? readFileSync(deadLetters, 'utf8') : '').toBe('')
  // Whatever a restart set aside was never acknowledged.
  const damaged = join(localDataDir(env), 'damaged')
  for (const report of existsSync(damaged) ? readdirSync(damaged) : []) {
    const setAside = JSON.parse(readFileSync(join(damaged, report, 'report.json'), 'utf8')) as {key: string}[]
    for (const {key} of setAside) expect([...acknowledged].map(keyOf)).not.toContain(key)
  }

  run.child.kill('SIGINT')
  expect(await run.exited).toBe(0)
}, 120_000)
