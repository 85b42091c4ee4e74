import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, expect, test} from 'vitest'

import {runningState, spawnLocalStart, type LocalStartProcess} from '../helpers/local-process.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'

const env = isolatedXdg()
const files = mkdtempSync(join(tmpdir(), 'eventpulse-replace-'))
let run: LocalStartProcess

const track = (streams: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ArtistID: 'Refresh', ItemID: 'TRACK#Loyal', EntityType: 'Track', Streams: streams, ...extra})

/** Writes `text` to a file named `name` and returns its path. */
function file(name: string, text: string): string {
  const path = join(files, name)
  writeFileSync(path, text)
  return path
}

beforeAll(async () => {
  run = spawnLocalStart(env)
  await runningState(env, run)
})

afterAll(async () => {
  run.child.kill('SIGINT')
  await run.exited
  rmSync(files, {recursive: true, force: true})
  rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
})

test('a catalog refresh with --replace: replaced, unchanged and stored records counted, and the history of three changes', async () => {
  expect((await runCli(['upload', file('v1.json', track(10)), '--local', '--wait'], {env})).exitCode).toBe(0)
  for (const [n, streams] of [
    [2, 20],
    [3, 30],
  ] as const) {
    const replaced = await runCli(['upload', file(`v${n}.json`, track(streams)), '--local', '--wait', '--replace'], {
      env,
    })
    expect(replaced.stdout).toContain('1 replaced, 0 stored')
    expect(replaced.exitCode).toBe(0)
  }
  const batch = file(
    'refresh.ndjson',
    [
      track(40, {Features: ['Naomi Wild']}), // replaced
      JSON.stringify({ArtistID: 'Refresh', ItemID: 'TRACK#New', EntityType: 'Track'}), // stored
    ].join('\n') + '\n',
  )
  const refreshed = await runCli(['upload', batch, '--local', '--wait', '--replace', '--json'], {env})
  expect(refreshed.exitCode).toBe(0)
  expect(JSON.parse(refreshed.stdout).result.summary).toMatchObject({replaced: 1, stored: 1, quarantined: 0})

  const history = await runCli(['items', 'history', 'Refresh', 'TRACK#Loyal', '--local', '--json'], {env})
  expect(history.exitCode).toBe(0)
  const versions = JSON.parse(history.stdout).result.versions
  expect(versions.map((v: {version: number; change: string}) => [v.version, v.change])).toEqual([
    [4, 'replaced'],
    [3, 'replaced'],
    [2, 'replaced'],
    [1, 'stored'],
  ])
  expect(versions[0]).toMatchObject({
    by: 'quarantine-admin',
    source: {key: 'replace/refresh.ndjson', line: 1},
    changes: [
      {attribute: 'Features', change: 'added', after: ['Naomi Wild']},
      {attribute: 'Streams', change: 'changed', before: 30, after: 40},
    ],
  })
  expect(versions[2].changes).toEqual([{attribute: 'Streams', change: 'changed', before: 10, after: 20}])
  const human = await runCli(['items', 'history', 'Refresh', 'TRACK#Loyal', '--local'], {env})
  expect(human.stdout).toContain('    Streams: 10 → 20')
  // `local start` prints each outcome as it is notified.
  expect(run.stdout()).toContain(' replaced    replace/v2.json → Refresh / TRACK#Loyal (new version)')
})

test('the uploader, without the setting, cannot replace: refused as AccessDenied, nothing changed', async () => {
  const refused = await runCli(
    ['upload', file('sneaky.json', track(999)), '--local', '--replace', '--role', 'uploader', '--json'],
    {env},
  )
  expect(refused.exitCode).toBe(3)
  const got = await runCli(['items', 'get', 'Refresh', 'TRACK#Loyal', '--local', '--json'], {env})
  expect(JSON.parse(got.stdout).result.item.record.Streams).not.toBe(999)
})

test("a foreign client set up by `local env` signs as the uploader, refused under replace/ and selftest/; the admin's pair may write under replace/, the selftest role's under selftest/", async () => {
  const valuesOf = async (args: string[]) =>
    JSON.parse((await runCli(['local', 'env', '--json', ...args], {env})).stdout).result as Record<string, string>
  const uploader = await valuesOf([])
  const admin = await valuesOf(['--role', 'quarantine-admin'])
  const canary = await valuesOf(['--role', 'selftest'])
  expect(new Set([uploader, admin, canary].map((values) => values.AWS_ACCESS_KEY_ID)).size).toBe(3)
  const put = async (values: Record<string, string>, key: string) => {
    const s3 = new S3Client({
      region: values.AWS_REGION,
      endpoint: values.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {accessKeyId: values.AWS_ACCESS_KEY_ID, secretAccessKey: values.AWS_SECRET_ACCESS_KEY},
    })
    const body = JSON.stringify({ArtistID: 'Foreign', ItemID: `TRACK#${key}`, EntityType: 'Track'})
    try {
      return await s3.send(
        new PutObjectCommand({Bucket: 'eventpulse-processing', Key: key, Body: body, IfNoneMatch: '*'}),
      )
    } finally {
      s3.destroy()
    }
  }
  await expect(put(uploader, 'replace/foreign-uploader.json')).rejects.toMatchObject({
    name: 'AccessDenied',
    message: expect.stringContaining('replace/'),
  })
  // The same pair is taken elsewhere: the refusal is the replace/ rule, not the signature.
  await expect(put(uploader, 'drop/foreign-uploader.json')).resolves.toBeDefined()
  await expect(put(admin, 'replace/foreign-admin.json')).resolves.toBeDefined()
  await expect(put(uploader, 'selftest/foreign-uploader.json')).rejects.toMatchObject({name: 'AccessDenied'})
  await expect(put(canary, 'selftest/foreign-canary.json')).resolves.toBeDefined()
})

test('two refreshes of one item under different keys, at the same time: both --wait runs end, each a replacement', async () => {
  const race = (streams: number) =>
    JSON.stringify({ArtistID: 'Refresh', ItemID: 'TRACK#Race', EntityType: 'Track', Streams: streams})
  expect((await runCli(['upload', file('race.json', race(1)), '--local', '--wait'], {env})).exitCode).toBe(0)
  const refreshes = await Promise.all(
    ['race-a.json', 'race-b.json'].map((name, index) =>
      runCli(['upload', file(name, race(10 + index)), '--local', '--wait', '--replace', '--timeout', '20s'], {env}),
    ),
  )
  expect(refreshes.map(({exitCode}) => exitCode)).toEqual([0, 0])
  for (const {stdout} of refreshes) expect(stdout).toContain('1 replaced, 0 stored')
})
