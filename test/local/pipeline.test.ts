import {spawnSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'

import {GetItemCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, expect, test} from 'vitest'

import {OUTCOMES_TABLE} from '#contract/table.js'
import {localPipelineStatus, readLocalPipeline} from '#local/state.js'
import type {ProcessResult} from '#processor/results.js'
import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {injectedError} from '../processor/faults.js'
import {removeDir, startTestPipeline, temporaryDir} from '../processor/helpers.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

const record = JSON.stringify({ArtistID: 'Odesza', ItemID: 'TRACK#Loyal', EntityType: 'Track'})

test('a crash between storing and deleting: on restart the saved event is redelivered, the item is its own, no false duplicate', async () => {
  const dataDir = await temporaryDir()
  dirs.push(dataDir)
  const first = await startTestPipeline({
    dataDir,
    maxAttempts: 1,
    sdkMaxAttempts: 1,
    instrumentHandlerClients({s3}) {
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'DeleteObjectCommand') throw injectedError('delete')
          return next(args)
        },
        {step: 'initialize', name: 'failDelete'},
      )
    },
  })
  await first.upload('crash/loyal.json', record)
  await first.pipeline.idle()
  expect(first.pipeline.stats()).toMatchObject({stored: 0, deadLettered: 1})
  expect(await first.keys(first.pipeline.state.processingBucket)).toEqual(['crash/loyal.json'])
  expect(await first.item('Odesza', 'TRACK#Loyal')).toBeDefined()
  await first.pipeline.stop()

  const results: ProcessResult[] = []
  const second = await startTestPipeline({dataDir, onResult: (r) => results.push(...r)})
  expect(second.pipeline.leftovers).toBe(1)
  await second.pipeline.idle()
  expect(results).toEqual([expect.objectContaining({outcome: 'stored', alreadyStored: true})])
  expect(await second.keys(second.pipeline.state.processingBucket)).toEqual([])
  expect(await second.keys(second.pipeline.state.quarantineBucket)).toEqual([])
  expect((await second.item('Odesza', 'TRACK#Loyal'))![ITEM_METADATA.sourceKey]).toEqual({S: 'crash/loyal.json'})
  await second.pipeline.stop()
})

test('one pipeline per data directory; the state file says where it runs while it runs, and goes when it stops', async () => {
  const dataDir = await temporaryDir()
  dirs.push(dataDir)
  expect(localPipelineStatus(dataDir)).toEqual({running: false, dataDir})
  expect(() => readLocalPipeline(dataDir)).toThrow(
    expect.objectContaining({
      exitCode: 4,
      code: 'LocalPipelineNotRunning',
      hint: expect.stringContaining('eventpulse local start'),
    }),
  )

  const running = await startTestPipeline({dataDir, writeState: true})
  await expect(startTestPipeline({dataDir})).rejects.toMatchObject({exitCode: 2, code: 'LocalPipelineRunning'})
  const state = readLocalPipeline(dataDir)
  expect(state).toMatchObject({
    pid: process.pid,
    dataDir,
    endpoints: running.pipeline.state.endpoints,
    table: 'eventpulse-catalog',
  })
  expect(state.endpoints.s3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  await running.upload('persist.json', record)
  await running.pipeline.idle()
  await running.pipeline.stop()
  expect(existsSync(running.pipeline.layout.stateFile)).toBe(false)
  expect(localPipelineStatus(dataDir).running).toBe(false)

  // The data survives the restart.
  const again = await startTestPipeline({dataDir})
  expect(await again.item('Odesza', 'TRACK#Loyal')).toBeDefined()
  await again.pipeline.stop()
})

test("a start that takes over the lock of a run that died releases that run's batch leases: its batch continues at once", async () => {
  const dataDir = await temporaryDir()
  dirs.push(dataDir)
  const first = await startTestPipeline({dataDir, dropEventRatio: 1})
  const key = 'restart/batch.ndjson'
  const line = (n: number) => JSON.stringify({ArtistID: 'Restart', ItemID: `TRACK#${n}`, EntityType: 'Track'})
  const etag = await first.upload(key, [1, 2, 3].map(line).join('\n'))
  const inAnHour = Date.now() + 3_600_000
  // The run that died held the batch, past line 1, for another hour; another instance's lease is not its own.
  await first.leased(key, etag, {owner: 'the dead run:its delivery', until: inAnHour, doneLines: 1})
  await first.leased('restart/elsewhere.ndjson', etag, {owner: 'the dead run, not:its delivery', until: inAnHour})
  await first.pipeline.stop()
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid
  writeFileSync(first.pipeline.layout.lockFile, `${deadPid}\nthe dead run\n`)

  const results: ProcessResult[] = []
  const second = await startTestPipeline({dataDir, onResult: (r) => results.push(...r)})
  expect(second.pipeline.leftovers).toBe(1)
  await second.pipeline.idle()
  expect(results).toEqual([
    expect.objectContaining({outcome: 'batch', key, counts: expect.objectContaining({stored: 3})}),
  ])
  expect(await second.item('Restart', 'TRACK#1')).toBeUndefined()
  expect(await second.item('Restart', 'TRACK#3')).toBeDefined()
  const {Item} = await second.pipeline.dynamodb.send(
    new GetItemCommand({
      TableName: second.pipeline.state.outcomesTable,
      Key: {[OUTCOMES_TABLE.partitionKey]: {S: 'restart/elsewhere.ndjson'}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
    }),
  )
  expect(Item?.[OUTCOMES_TABLE.attributes.leaseExpiresAt]).toEqual({N: String(inAnHour)})
  await second.pipeline.stop()
}, 20_000)
