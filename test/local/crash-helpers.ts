import {type AttributeValue, ScanCommand} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'
import {expect} from 'vitest'

import {listObjects} from '#aws/list-objects.js'
import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import type {LocalPipelineState} from '#local/state.js'
import {localClients} from '#local/target.js'
import type {LocalStartProcess} from '../helpers/local-process.js'
import {runCli} from '../helpers/run-cli.js'

/** What the tests of a crashed or interrupted `local start` (crash.test.ts, crash-loop.test.ts) share. */

export const isValid = (i: number) => i % 8 !== 0
/** One record per object, each under its own ArtistID; every eighth is not JSON, so it is quarantined. */
export const body = (i: number) =>
  isValid(i)
    ? JSON.stringify({ArtistID: {S: `Crash ${i}`}, ItemID: {S: `TRACK#${i}`}, EntityType: {S: 'Track'}})
    : `{"ArtistID": {"S": "Crash ${i}"},}`
export const keyOf = (i: number) => `crash/${i}.json`

export async function expectRunning(env: NodeJS.ProcessEnv, run: LocalStartProcess): Promise<void> {
  const status = await runCli(['local', 'status', '--json'], {env})
  expect(status.exitCode).toBe(0)
  expect(JSON.parse(status.stdout).result).toMatchObject({running: true, state: {pid: run.child.pid}})
}

/** Stored items by the key of the object they came from. */
export async function storedBySourceKey(
  state: LocalPipelineState,
): Promise<Map<string, Record<string, AttributeValue>[]>> {
  const {dynamodb} = localClients(state)
  const items = new Map<string, Record<string, AttributeValue>[]>()
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined
  do {
    const page = await dynamodb.send(new ScanCommand({TableName: state.table, ExclusiveStartKey}))
    for (const item of page.Items ?? []) {
      const source = item[ITEM_METADATA.sourceKey].S!
      items.set(source, [...(items.get(source) ?? []), item])
    }
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey)
  dynamodb.destroy()
  return items
}

export async function keys(s3: S3Client, bucket: string): Promise<string[]> {
  const found: string[] = []
  for await (const object of listObjects(s3, bucket)) found.push(object.key)
  return found
}
