import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, expect, test} from 'vitest'

import type {LocalPipelineState} from '#local/state.js'
import {localTarget} from '#local/target.js'
import {applyRevert, planRevert} from '#items/revert.js'
import {OutboxNotifier} from '#processor/notifier.js'
import {localDataDir, runningState, spawnLocalStart, type LocalStartProcess} from '../helpers/local-process.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'

// `quarantine accept` and `items revert` through the built CLI against a real `local start`.

const env = isolatedXdg()
const files = mkdtempSync(join(tmpdir(), 'eventpulse-accept-'))
let run: LocalStartProcess
let state: LocalPipelineState

const track = (title: string, streams: number) =>
  JSON.stringify({ArtistID: 'Accepted', ItemID: `TRACK#${title}`, EntityType: 'Track', Streams: streams})

/** Writes `text` to a file named `name` and returns its path. */
function file(name: string, text: string): string {
  const path = join(files, name)
  writeFileSync(path, text)
  return path
}

const cli = async (...args: string[]) => {
  const done = await runCli([...args, '--local', '--json'], {env})
  return {exitCode: done.exitCode, json: JSON.parse(done.stdout), stderr: done.stderr}
}

/** Uploads a file (relative keys: its name) and waits for its outcome. */
const upload = (name: string, text: string, ...flags: string[]) => cli('upload', file(name, text), '--wait', ...flags)

const outbox = () =>
  readFileSync(join(localDataDir(env), 'outbox.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

beforeAll(async () => {
  run = spawnLocalStart(env)
  state = await runningState(env, run)
})

afterAll(async () => {
  run.child.kill('SIGINT')
  await run.exited
  rmSync(files, {recursive: true, force: true})
  rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
})

test('accept replaces the item with the duplicate: entry gone, replaced notified, status says replaced', async () => {
  await upload('one-v1.json', track('One', 10))
  expect((await upload('one-v2.json', track('One', 25))).exitCode).toBe(1)

  const accepted = await cli('quarantine', 'accept', 'one-v2.json', '--yes')
  expect(accepted.exitCode).toBe(0)
  expect(accepted.json.result.plans).toMatchObject([
    {judgedVersion: 1, storedVersion: 1, changes: [{attribute: 'Streams', change: 'changed', before: 10, after: 25}]},
  ])
  expect((await cli('status', 'one-v2.json')).json.result.keys).toMatchObject([{key: 'one-v2.json', state: 'replaced'}])
  expect((await cli('quarantine', 'list')).json.result.entries).toEqual([])
  expect(outbox().filter((n) => n.outcome === 'replaced')).toMatchObject([
    {sourceKey: 'one-v2.json', item: {ArtistID: 'Accepted', ItemID: 'TRACK#One'}},
  ])
  const history = await cli('items', 'history', 'Accepted', 'TRACK#One')
  expect(history.json.result.versions.map((v: {change: string; by: string}) => [v.change, v.by])).toEqual([
    ['accepted', 'quarantine-admin'],
    ['stored', 'uploader'],
  ])
})

test('accept of an entry judged against an older version is refused (Conflict), and the entry kept', async () => {
  await upload('two-v1.json', track('Two', 1))
  await upload('two-dup.json', track('Two', 2))
  await upload('two-v3.json', track('Two', 3), '--replace')

  const refused = await cli('quarantine', 'accept', 'two-dup.json', '--yes')
  expect(refused.exitCode).toBe(1)
  expect(refused.json.error).toMatchObject({
    code: 'Conflict',
    message: expect.stringMatching(/: the stored item is version 2; this entry was judged against version 1\.$/),
  })
  const list = await cli('quarantine', 'list', '--prefix', 'two-dup.json')
  expect(list.json.result.entries).toHaveLength(1)
  expect((await cli('items', 'get', 'Accepted', 'TRACK#Two')).json.result.item.record.Streams).toBe(3)
})

test('two accepts racing for one item: exactly one wins, the other is a Conflict', async () => {
  await upload('race-v1.json', track('Race', 1))
  await upload('race-a.json', track('Race', 100))
  await upload('race-b.json', track('Race', 200))
  const results = await Promise.all([
    cli('quarantine', 'accept', 'race-a.json', '--yes'),
    cli('quarantine', 'accept', 'race-b.json', '--yes'),
  ])
  expect(results.map((r) => r.exitCode).sort()).toEqual([0, 1])
  // The loser planned either after the winner wrote or before: one answer either way.
  expect(results.find((r) => r.exitCode === 1)?.json.error).toMatchObject({
    code: 'Conflict',
    message: expect.stringMatching(
      /^Not accepted race-[ab]\.json\/q-[0-9a-f]+: the stored item (is version 2; this entry was judged against version 1|changed while accepting \(it is no longer version 1\); nothing was replaced)\.$/,
    ),
    hint: expect.stringContaining('--local'),
  })
  const history = await cli('items', 'history', 'Accepted', 'TRACK#Race')
  expect(history.json.result.versions.map((v: {change: string}) => v.change)).toEqual(['accepted', 'stored'])
})

test('revert restores the version before as a new one, after --dry-run showed the change', async () => {
  await upload('three-v1.json', track('Three', 10))
  await upload('three-v2.json', track('Three', 20), '--replace')
  await upload('three-v3.json', track('Three', 30), '--replace')

  const dry = await cli('items', 'revert', 'Accepted', 'TRACK#Three', '--dry-run')
  expect(dry.exitCode).toBe(0)
  expect(dry.json.result).toMatchObject({fromVersion: 3, toVersion: 2, dryRun: true})
  expect(dry.json.result.changes).toEqual([{attribute: 'Streams', change: 'changed', before: 30, after: 20}])

  const reverted = await cli('items', 'revert', 'Accepted', 'TRACK#Three', '--yes')
  expect(reverted.exitCode).toBe(0)
  expect(reverted.json.result).toMatchObject({newVersion: 4})
  const history = await cli('items', 'history', 'Accepted', 'TRACK#Three')
  expect(history.json.result.versions.map((v: {version: number; change: string}) => [v.version, v.change])).toEqual([
    [4, 'reverted'],
    [3, 'replaced'],
    [2, 'replaced'],
    [1, 'stored'],
  ])
  expect(outbox().filter((n) => n.outcome === 'replaced' && n.item?.ItemID === 'TRACK#Three')).toHaveLength(3)

  const missing = await cli('items', 'revert', 'Accepted', 'TRACK#Three', '--to', '9', '--yes')
  expect(missing.exitCode).toBe(1)
  expect(missing.json.error.code).toBe('NotFound')
})

test('--all accepts every duplicate under a prefix, after --dry-run listed each with its change', async () => {
  for (const title of ['Four', 'Five']) {
    await upload(`all-${title}.json`, track(title, 1))
    await upload(`all-${title}-dup.json`, track(title, 2))
  }
  const dry = await runCli(['quarantine', 'accept', '--all', '--prefix', 'all-', '--dry-run', '--local'], {env})
  expect(dry.exitCode).toBe(0)
  expect(dry.stderr).toContain('Would accept 2 quarantine entries:')
  expect(dry.stderr.match(/^ {8}Streams: 1 → 2$/gm)).toHaveLength(2)

  const all = await cli('quarantine', 'accept', '--all', '--prefix', 'all-', '--yes')
  expect(all.exitCode).toBe(0)
  expect(all.json.result.done).toHaveLength(2)
  expect((await cli('items', 'get', 'Accepted', 'TRACK#Five')).json.result.item.record.Streams).toBe(2)
})

test('a revert racing a replace: planned first, applied after the replace, it is a Conflict and writes nothing', async () => {
  await upload('seven-v1.json', track('Seven', 1))
  await upload('seven-v2.json', track('Seven', 2), '--replace')
  // The revert as the CLI makes it, against the running pipeline, cut between its plan and its write.
  const target = localTarget(state, {role: 'quarantineAdmin'})
  const plan = await planRevert(target, {artistId: 'Accepted', itemId: 'TRACK#Seven'})
  await upload('seven-v3.json', track('Seven', 3), '--replace')
  const notifier = new OutboxNotifier(join(localDataDir(env), 'outbox.jsonl'))
  await expect(applyRevert({target, notifier}, plan)).rejects.toMatchObject({code: 'Conflict'})
  target.s3.destroy()
  target.dynamodb?.destroy()
  expect((await cli('items', 'get', 'Accepted', 'TRACK#Seven')).json.result.item.record.Streams).toBe(3)
})
