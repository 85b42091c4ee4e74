import {spawn} from 'node:child_process'
import {request} from 'node:http'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, expect, test} from 'vitest'

import type {LocalPipelineState} from '#local/state.js'
import {type LocalStartProcess, runningState, spawnLocalStart} from '../helpers/local-process.js'
import {cliEnv, isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {removeDir} from '../processor/helpers.js'
import {DICER_BODY} from './fixtures/dicer.js'

// A real `local start` answers only its owner: what a web page, another local user or an old client sends is refused
// (403) and does not stop it, while a foreign client configured only with `local env`'s values works.

const env = isolatedXdg()
let run: LocalStartProcess
let state: LocalPipelineState

beforeAll(async () => {
  run = spawnLocalStart(env)
  state = await runningState(env, run)
}, 30_000)
afterAll(async () => {
  run?.child.kill('SIGINT')
  await run?.exited
  await removeDir(join(env.XDG_DATA_HOME!, '..'))
})

/** A raw HTTP request to the local S3, as a browser or another program would send it; answers the status. */
function send(options: {method: string; path: string; headers?: Record<string, string>; body?: string}) {
  const {hostname, port} = new URL(state.endpoints.s3)
  return new Promise<number>((resolve, reject) => {
    const outgoing = request({hostname, port, method: options.method, path: options.path, headers: options.headers})
    outgoing.on('response', (response) => {
      response.resume()
      resolve(response.statusCode!)
    })
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}

test('unsigned, old-pair, foreign-Host, browser-Origin and dicer requests are refused (403), and the pipeline keeps running', async () => {
  const path = `/${state.processingBucket}/drop/refused.json`
  expect(await send({method: 'PUT', path, body: '{}', headers: {'if-none-match': '*'}})).toBe(403)
  const oldPair = new S3Client({
    region: 'us-east-1',
    endpoint: state.endpoints.s3,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: {accessKeyId: 'eventpulse-local', secretAccessKey: 'eventpulse-local'},
  })
  await expect(
    oldPair.send(
      new PutObjectCommand({Bucket: state.processingBucket, Key: 'drop/old.json', Body: '{}', IfNoneMatch: '*'}),
    ),
  ).rejects.toMatchObject({$metadata: expect.objectContaining({httpStatusCode: 403})})
  oldPair.destroy()
  expect(await send({method: 'GET', path: `/${state.processingBucket}`, headers: {host: 'evil.example'}})).toBe(403)
  expect(
    await send({
      method: 'POST',
      path: `/${state.processingBucket}`,
      headers: {origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded'},
      body: 'key=drop/form.json',
    }),
  ).toBe(403)
  expect(
    await send({
      method: 'POST',
      path: `/${state.processingBucket}`,
      headers: {'content-type': 'multipart/form-data; boundary=----B'},
      body: DICER_BODY,
    }),
  ).toBe(403)
  expect(run.child.exitCode).toBeNull()
  expect(run.stderr()).not.toContain('stored')
})

test('a foreign client configured only by `local env` uploads, and the pipeline stores the record', async () => {
  const printed = await runCli(['local', 'env', '--json'], {env})
  expect(printed.exitCode).toBe(0)
  const values = JSON.parse(printed.stdout).result as Record<string, string>
  expect(values).toMatchObject({AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: state.endpoints.s3})
  const human = await runCli(['local', 'env'], {env})
  expect(human.stdout).toContain(`export AWS_SECRET_ACCESS_KEY="${values.AWS_SECRET_ACCESS_KEY}"\n`)
  expect(human.stdout).toContain(`export AWS_ENDPOINT_URL_DYNAMODB="${state.endpoints.dynamodb}"\n`)

  // Another program: the SDK's defaults, and nothing but these variables (no endpoint, region or keys in code).
  const script = `
    import {S3Client, PutObjectCommand} from '@aws-sdk/client-s3'
    import {DynamoDBClient, GetItemCommand} from '@aws-sdk/client-dynamodb'
    import {readFileSync} from 'node:fs'
    await new S3Client({forcePathStyle: true}).send(new PutObjectCommand({
      Bucket: 'eventpulse-processing', Key: 'drop/foreign.json', IfNoneMatch: '*',
      Body: readFileSync('examples/valid/skrillex-rumble.json'),
    }))
    const dynamodb = new DynamoDBClient({})
    for (let i = 0; i < 100; i++) {
      const {Item} = await dynamodb.send(new GetItemCommand({
        TableName: 'eventpulse-catalog', Key: {ArtistID: {S: 'Skrillex'}, ItemID: {S: 'TRACK#Rumble'}},
      }))
      if (Item) { console.log('stored'); process.exit(0) }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    process.exit(1)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    env: cliEnv(values),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const code = await new Promise((resolve) => child.on('close', resolve))
  expect(output).toContain('stored')
  expect(code).toBe(0)
  expect(readFileSync(join(state.dataDir, 'credentials.json'), 'utf8')).toContain(values.AWS_ACCESS_KEY_ID)
}, 30_000)

test('local env says when no pipeline runs (exit 4)', async () => {
  const result = await runCli(['local', 'env', '--json'], {env: isolatedXdg()})
  expect(result.exitCode).toBe(4)
  expect(JSON.parse(result.stdout).error.code).toBe('LocalPipelineNotRunning')
})
