import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import {parseQuarantineKey} from '#contract/pipeline-contract.js'
import {PROJECT_ROOT, type runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {CTRL_C, runOnTerminal} from './helpers/terminal.js'
import {tempDir} from '../helpers/temp-dirs.js'

// End to end on the local pipeline: the CLI process uploads, the in-process pipeline stores or quarantines,
// and status / quarantine commands read the outcome back.

const record = (artist: string, item: string) =>
  JSON.stringify({ArtistID: {S: artist}, ItemID: {S: item}, EntityType: {S: 'Track'}})

let pipeline: LocalPipeline
let cli: (args: string[], input?: string) => ReturnType<typeof runCli>
let env: NodeJS.ProcessEnv
let dir: string

const onTerminal = (args: string[], answer: string) =>
  runOnTerminal([...args, '--local'], {env, prompt: '(y/N)', answer})

beforeAll(async () => {
  ;({pipeline, cli, env} = await startPipelineForCli())
  dir = tempDir('ep-e2e-')
  mkdirSync(join(dir, 'batch'))
  writeFileSync(join(dir, 'batch', 'good.json'), record('Odesza', 'TRACK#A Moment Apart'))
  writeFileSync(join(dir, 'batch', 'bad.json'), '{"ArtistID": {"S": "Odesza"},}')
  writeFileSync(join(dir, 'batch', 'dup-first.json'), record('Odesza', 'TRACK#Line of Sight'))
  // The same ArtistID and ItemID with other content: a duplicate (the same record again would be unchanged).
  writeFileSync(
    join(dir, 'dup-second.json'),
    JSON.stringify({...JSON.parse(record('Odesza', 'TRACK#Line of Sight')), Duration: {N: '250'}}),
  )
  // The invalid file is sent anyway so that the pipeline quarantines it; the duplicate goes second, once the first is
  // stored. Every test finds these outcomes in place, whichever of them runs, and in whatever order.
  const first = await cli(['upload', join(dir, 'batch'), '--no-validate', '--wait', '--timeout', '60s'])
  expect(first.stderr).not.toContain('Error')
  expect((await cli(['upload', join(dir, 'dup-second.json'), '--wait'])).exitCode).toBe(1)
})

/** A quarantine entry of the test's own, for tests that change or delete one. */
async function quarantinedFile(name: string): Promise<void> {
  writeFileSync(join(dir, name), '{"ArtistID": {"S": "Odesza"},}')
  expect((await cli(['upload', join(dir, name), '--no-validate', '--wait'])).exitCode).toBe(1)
}
afterAll(() => pipeline?.stop())

describe('upload --wait on the local pipeline', () => {
  it('follows a duplicate until quarantined, with the reason, as one JSON document, and exits 1', async () => {
    const third = join(dir, 'dup-third.json')
    writeFileSync(third, JSON.stringify({...JSON.parse(record('Odesza', 'TRACK#Line of Sight')), Duration: {N: '260'}}))
    const run = await cli(['upload', third, '--wait', '--json'])
    expect(run.exitCode).toBe(1)
    const {status, result} = JSON.parse(run.stdout)
    expect(status).toBe(1)
    expect(result.summary).toEqual({
      files: 1,
      invalid: 0,
      uploaded: 1,
      unchanged: 0,
      failed: 0,
      notAttempted: 0,
      stored: 0,
      quarantined: 1,
      pending: 0,
    })
    expect(result.files[0]).toMatchObject({
      key: 'dup-third.json',
      status: 'uploaded',
      outcome: {state: 'quarantined', reason: 'duplicate'},
    })
    expect(parseQuarantineKey(result.files[0].outcome.entry)?.sourceKey).toBe('dup-third.json')
  })

  it('prints each outcome and exits 0 when everything is stored', async () => {
    const single = join(dir, 'fresh.json')
    writeFileSync(single, record('Bonobo', 'TRACK#Kerala'))
    const run = await cli(['upload', single, '--wait'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/stored {7}fresh\.json {2}\(Bonobo \/ TRACK#Kerala, \d{4}-/)
    expect(run.stdout).toContain('1 file, 1 uploaded, 1 stored, 0 quarantined.')
  })

  it('off a terminal, reports each outcome once, on stdout, and nothing on stderr', async () => {
    const batch = join(dir, 'once')
    mkdirSync(batch)
    writeFileSync(join(batch, 'one.json'), record('Bicep', 'TRACK#Glue'))
    writeFileSync(join(batch, 'two.json'), record('Bicep', 'TRACK#Apricots'))
    const run = await cli(['upload', batch, '--wait'])
    expect(run.exitCode).toBe(0)
    expect(run.stderr).toBe('')
    for (const key of ['one.json', 'two.json']) expect(run.stdout.split(`  ${key}  `).length - 1, key).toBe(1)
    expect(run.stdout).toContain('2 files, 2 uploaded, 2 stored, 0 quarantined.')
  })

  it('with --quiet, prints only what did not go well, and the summary', async () => {
    const batch = join(dir, 'quiet')
    mkdirSync(batch)
    writeFileSync(join(batch, 'fine.json'), record('Caribou', 'TRACK#Sun'))
    writeFileSync(join(batch, 'broken.json'), '{"ArtistID": ')
    const run = await cli(['upload', batch, '--wait', '--quiet', '--no-validate'])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).not.toContain('fine.json')
    expect(run.stdout).toMatch(/^quarantined {2}broken\.json {2}invalid-json {2}\[broken\.json\/q-[0-9a-f]{16}\]$/m)
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('2 files, 2 uploaded, 1 stored, 1 quarantined.')
  })

  it('stops sending at Ctrl-C: exit 130 and one line saying how far it got', async () => {
    const many = join(dir, 'many')
    mkdirSync(many)
    for (let i = 0; i < 1000; i++) writeFileSync(join(many, `r${i}.json`), record('Many', `TRACK#${i}`))
    const before = pipeline.stats().stored
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'bin/run.js'), 'upload', many, '--concurrency', '1', '--local'],
      {env: {...process.env, ...env, NO_COLOR: '1'}},
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    // Once the first uploads are being processed, the upload is under way: Ctrl-C.
    while (pipeline.stats().stored === before) await sleep(20)
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stdout).toBe('')
    const note =
      /^Error: Interrupted \(Ctrl-C\): (\d+) of 1000 files uploaded before it stopped; (\d+) not sent\.$/m.exec(stderr)
    expect(note, stderr).not.toBeNull()
    expect(Number(note![1]) + Number(note![2])).toBe(1000)
    expect(Number(note![2])).toBeGreaterThan(0)
    expect(stderr).not.toMatch(/bug/i)
    await pipeline.idle()
  })
})

describe('status', () => {
  it('tells stored, quarantined (with reason) and unknown keys apart, by key alone', async () => {
    const run = await cli(['status', 'good.json', 'bad.json', 'never-uploaded.json'])
    expect(run.exitCode).toBe(1)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^stored {7}good\.json {2}\(Odesza \/ TRACK#A Moment Apart, /)
    expect(lines[1]).toMatch(
      // The reason from the entry's tags: the message (which may quote the record) is for `quarantine show`.
      /^quarantined {2}bad\.json {2}invalid-json {2}\[bad\.json\/q-[0-9a-f]{16}\]$/,
    )
    expect(lines[2]).toBe('not found    never-uploaded.json')
  })

  it('takes files and gives their keys as upload would', async () => {
    const run = await cli(['status', join(dir, 'batch', 'good.json'), '--json'])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).result.keys).toEqual([
      expect.objectContaining({
        key: 'good.json',
        state: 'stored',
        item: {ArtistID: 'Odesza', ItemID: 'TRACK#A Moment Apart'},
      }),
    ])
  })

  it('--stuck finds nothing when the pipeline keeps up', async () => {
    const run = await cli(['status', '--stuck', '--older-than', '1m', '--json'])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).result).toEqual({olderThanSeconds: 60, stuck: []})
  })
})

describe('quarantine', () => {
  it('list shows each entry with size, time and reason; --json gives them all', async () => {
    const human = await cli(['quarantine', 'list'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toMatch(/^bad\.json\/q-[0-9a-f]{16} {2}\d+ B {2}\d{4}-\d\d-\d\dT.+ {2}invalid-json: /m)
    expect(human.stdout).toMatch(/^dup-second\.json\/q-[0-9a-f]{16} .+ {2}duplicate: /m)
    const json = JSON.parse((await cli(['quarantine', 'list', '--json', '--prefix', 'bad'])).stdout)
    expect(json.status).toBe(0)
    expect(json.result.count).toBe(1)
    expect(json.result.entries[0]).toMatchObject({sourceKey: 'bad.json', reason: 'invalid-json', size: 30})
  })

  it('list --limit says how many there are in all', async () => {
    const run = await cli(['quarantine', 'list', '--limit', '1'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1)
    const all = JSON.parse((await cli(['quarantine', 'list', '--json'])).stdout).result
    expect(all.total).toBeGreaterThan(1)
    expect(run.stderr).toMatch(new RegExp(`^Showing 1 of ${all.total} entries in quarantine \\(`))
    const json = JSON.parse((await cli(['quarantine', 'list', '--limit', '1', '--json'])).stdout).result
    expect(json).toMatchObject({count: 1, total: all.total})
  })

  it('check exits 0 with the reason when quarantined, 1 when not', async () => {
    const yes = await cli(['quarantine', 'check', 'bad.json'])
    expect(yes.exitCode).toBe(0)
    expect(yes.stdout).toContain('invalid-json')
    const no = await cli(['quarantine', 'check', 'good.json', '--json'])
    expect(no.exitCode).toBe(1)
    expect(JSON.parse(no.stdout)).toMatchObject({status: 1, result: {key: 'good.json', quarantined: false}})
  })

  it('show prints the content and reason, and --output saves it', async () => {
    const run = await cli(['quarantine', 'show', 'bad.json'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('{"ArtistID": {"S": "Odesza"},}')
    expect(run.stdout).toMatch(/^# bad\.json\/q-.+invalid-json/m)
    const output = join(dir, 'saved.json')
    const saved = await cli(['quarantine', 'show', 'bad.json', '--output', output])
    expect(saved.exitCode).toBe(0)
    expect(readFileSync(output, 'utf8')).toBe('{"ArtistID": {"S": "Odesza"},}')
  })

  it('show --json gives content that is not UTF-8 as base64', async () => {
    const latin1 = join(dir, 'latin1.json')
    const bytes = Buffer.from('{"ArtistID": {"S": "Bj\xf6rk"}}', 'latin1')
    writeFileSync(latin1, bytes)
    expect((await cli(['upload', latin1, '--no-validate', '--wait'])).exitCode).toBe(1)
    const {result} = JSON.parse((await cli(['quarantine', 'show', 'latin1.json', '--json'])).stdout)
    expect(result.entries).toHaveLength(1)
    expect(result.entries[0]).toMatchObject({reason: 'not-utf8', contentBase64: bytes.toString('base64')})
    expect(result.entries[0].content).toBeUndefined()
  })

  it('rm refuses without a terminal and without --yes (exit 2), deleting nothing', async () => {
    const run = await cli(['quarantine', 'rm', 'bad.json'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('Refusing to delete quarantined objects without confirmation')
    expect((await cli(['quarantine', 'check', 'bad.json'])).exitCode).toBe(0)
  })

  it('rm on a terminal: declined keeps the entry (exit 1), accepted deletes it', async () => {
    await quarantinedFile('rm-me.json')
    const declined = await onTerminal(['quarantine', 'rm', 'rm-me.json'], 'n\r')
    expect(declined.stdout).toContain('Nothing deleted.')
    expect(declined.exitCode).toBe(1)
    expect((await cli(['quarantine', 'check', 'rm-me.json'])).exitCode).toBe(0)
    const accepted = await onTerminal(['quarantine', 'rm', 'rm-me.json'], 'y\r')
    expect(accepted.stdout).toContain('Deleted 1 of 1 quarantine entry.')
    expect(accepted.exitCode).toBe(0)
    expect((await cli(['quarantine', 'check', 'rm-me.json'])).exitCode).toBe(1)
  })

  it('rm on a terminal: Ctrl-C at the question cancels (exit 130), deleting nothing', async () => {
    const run = await onTerminal(['quarantine', 'rm', 'latin1.json'], CTRL_C)
    expect(run.stdout).toContain('Error: Cancelled at the prompt (Ctrl-C); nothing was done.')
    expect(run.stdout).not.toMatch(/bug/i)
    expect(run.exitCode).toBe(130)
    expect((await cli(['quarantine', 'check', 'latin1.json'])).exitCode).toBe(0)
  })

  it('rm reports a missing key without asking about it (exit 1)', async () => {
    const run = await cli(['quarantine', 'rm', 'not-there.json'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('not in quarantine: not-there.json')
    expect(run.stderr).not.toContain('Refusing')
  })

  it('release copes with keys holding #, + and spaces', async () => {
    const odd = join(dir, 'odd #1+2 ü.json')
    writeFileSync(odd, '{"ArtistID": ')
    const uploaded = await cli(['upload', odd, '--no-validate', '--wait'])
    expect(uploaded.exitCode).toBe(1)
    // Fixed in place, then released: processed again, and stored this time.
    const [entry] = JSON.parse((await cli(['quarantine', 'list', '--json', '--prefix', 'odd #1+2 ü.json'])).stdout)
      .result.entries
    expect(entry.sourceKey).toBe('odd #1+2 ü.json')
    const {PutObjectCommand} = await import('@aws-sdk/client-s3')
    await pipeline.s3.send(
      new PutObjectCommand({Bucket: pipeline.state.quarantineBucket, Key: entry.key, Body: record('Odd', 'TRACK#Odd')}),
    )
    const released = await cli(['quarantine', 'release', 'odd #1+2 ü.json', '--yes'])
    expect(released.exitCode).toBe(0)
    await pipeline.idle()
    const status = await cli(['status', 'odd #1+2 ü.json'])
    expect(status.stdout).toMatch(/^stored {7}odd #1\+2 ü\.json {2}\(Odd \/ TRACK#Odd, /)
    expect((await cli(['quarantine', 'check', 'odd #1+2 ü.json'])).exitCode).toBe(1)
  })

  it('release --wait follows the released object to its outcome', async () => {
    const broken = join(dir, 'fix-me.json')
    writeFileSync(broken, '{"ArtistID": ')
    expect((await cli(['upload', broken, '--no-validate', '--wait'])).exitCode).toBe(1)
    const [entry] = JSON.parse((await cli(['quarantine', 'list', '--json', '--prefix', 'fix-me.json'])).stdout).result
      .entries
    const {PutObjectCommand} = await import('@aws-sdk/client-s3')
    await pipeline.s3.send(
      new PutObjectCommand({
        Bucket: pipeline.state.quarantineBucket,
        Key: entry.key,
        Body: record('Fixed', 'TRACK#Me'),
      }),
    )
    const run = await cli(['quarantine', 'release', 'fix-me.json', '--yes', '--wait', '--timeout', '60s'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^stored {7}fix-me\.json {2}\(Fixed \/ TRACK#Me, /m)
    expect(run.stdout).toContain('1 released: 1 stored, 0 quarantined again.')
  })

  it('release puts the object back for processing and removes the entry', async () => {
    const [entry] = JSON.parse((await cli(['quarantine', 'list', '--json', '--prefix', 'dup-second'])).stdout).result
      .entries
    const run = await cli(['quarantine', 'release', entry.key, '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.stdout).result).toMatchObject({done: [entry.key], missing: [], failed: []})
    await pipeline.idle()
    // Processed again, and (the first record still being stored) quarantined again. The released object is the same
    // upload (same key, same bytes, so the same ETag), so its entry has the same id: the release removed the old
    // entry before the processor wrote the new one (it waits for that), so the entry is there, written anew.
    const after = JSON.parse((await cli(['quarantine', 'list', '--json', '--prefix', 'dup-second'])).stdout).result
      .entries
    expect(after).toHaveLength(1)
    expect(after[0].key).toBe(entry.key)
    expect(after[0].reason).toBe('duplicate')
    expect(Date.parse(after[0].quarantinedAt)).toBeGreaterThan(Date.parse(entry.quarantinedAt))
    expect(pipeline.stats()).toMatchObject({deadLettered: 0})
  })
})
