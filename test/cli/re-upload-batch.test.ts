import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, expect, it} from 'vitest'

import {localDataDir, runningState, spawnLocalStart, type LocalStartProcess} from '../helpers/local-process.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'

// The same batch file uploaded three times in a row through a real `local start`, as a new user re-runs a command:
// the first stores it; the second and third find it processed exactly so and send nothing.

const LINES = 2000
const env = {...isolatedXdg(), NO_COLOR: '1'}
const dir = mkdtempSync(join(tmpdir(), 'ep-reupload-batch-'))
let run: LocalStartProcess | undefined

afterAll(async () => {
  if (run) {
    run.child.kill('SIGINT')
    await run.exited
  }
  rmSync(dir, {recursive: true, force: true})
  rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
})

it('is unchanged the second and third time: exit 0 within seconds, nothing sent, one notification in all', async () => {
  run = spawnLocalStart(env)
  await runningState(env, run)
  const file = join(dir, 'catalog.ndjson')
  const track = (n: number) => JSON.stringify({ArtistID: 'Caribou', ItemID: `TRACK#Odessa ${n}`, EntityType: 'Track'})
  writeFileSync(file, Array.from({length: LINES}, (_, n) => track(n)).join('\n') + '\n')
  const upload = async () => {
    const started = Date.now()
    const done = await runCli(['upload', file, '--local', '--wait', '--timeout', '60s', '--json'], {env})
    return {...done, seconds: (Date.now() - started) / 1000, document: JSON.parse(done.stdout)}
  }

  const first = await upload()
  expect(first.exitCode).toBe(0)
  expect(first.document.result.summary).toMatchObject({uploaded: 1, stored: LINES})

  for (const attempt of ['second', 'third']) {
    const again = await upload()
    expect(again.exitCode, attempt).toBe(0)
    expect(again.document.result.files[0], attempt).toMatchObject({
      key: 'catalog.ndjson',
      status: 'unchanged',
      counts: {records: LINES, stored: LINES, unchanged: 0, quarantined: 0},
    })
    expect(again.document.result.summary, attempt).toMatchObject({uploaded: 0, unchanged: LINES, stored: 0})
    // The CLI's own start-up included: a look-up, not a re-send of 2,000 records.
    expect(again.seconds, attempt).toBeLessThan(10)
  }
  const text = await runCli(['upload', file, '--local'], {env})
  expect(text.exitCode).toBe(0)
  expect(text.stdout).toMatch(
    /^unchanged {4}catalog\.ndjson {2}\(processed before exactly so, \S+; counts of that run: 2000 records, 2000 stored, 0 unchanged, 0 quarantined; not sent\)$/m,
  )

  // Nothing was sent, so nothing is left to notify: the outbox holds the first run's notification only.
  const outbox = join(localDataDir(env), 'outbox.jsonl')
  expect(existsSync(outbox)).toBe(true)
  const notifications = readFileSync(outbox, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {sourceKey: string; outcome: string})
  expect(notifications.filter((n) => n.sourceKey === 'catalog.ndjson')).toEqual([
    expect.objectContaining({outcome: 'batch'}),
  ])
}, 180_000)
