import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {GetItemCommand} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {LocalPipeline} from '#local/pipeline.js'
import type {runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {CTRL_C, runOnTerminalSteps, type TerminalStep} from './helpers/terminal.js'

// `quarantine review` and `quarantine fix` on a local pipeline: the entries are made by the pipeline itself, the
// review runs on a pseudo-terminal with EDITOR set to a script that saves the texts the test wrote, and what the
// review did is read back from the buckets and the table.

let pipeline: LocalPipeline
let cli: (args: string[], input?: string) => ReturnType<typeof runCli>
let env: NodeJS.ProcessEnv
let dir: string

/** Uploads a record as a user would and waits until the pipeline has stored or quarantined it. */
async function send(key: string, body: string): Promise<void> {
  await pipeline.s3.send(
    new PutObjectCommand({Bucket: pipeline.state.processingBucket, Key: key, Body: body, IfNoneMatch: '*'}),
  )
  await pipeline.idle()
}

/** The quarantine entry keys of a source key. */
async function entriesOf(key: string): Promise<string[]> {
  const run = await cli(['quarantine', 'list', '--prefix', `${key}/`, '--json'])
  return JSON.parse(run.stdout).result.entries.map((entry: {key: string}) => entry.key)
}

const storedItem = async (artist: string, item: string) =>
  (
    await pipeline.dynamodb.send(
      new GetItemCommand({TableName: pipeline.state.table, Key: {ArtistID: {S: artist}, ItemID: {S: item}}}),
    )
  ).Item

/**
 * An EDITOR that saves, at its n-th call, the text of `edits[n-1]` (and keeps what it was given as seen-<n>.json).
 */
function editorSaving(edits: string[]): string {
  const editorDir = mkdtempSync(join(dir, 'editor-'))
  for (const [index, text] of edits.entries()) writeFileSync(join(editorDir, `edit-${index + 1}.json`), text)
  writeFileSync(
    join(editorDir, 'edit.sh'),
    [
      `n=$(($(cat '${editorDir}/count' 2>/dev/null || echo 0) + 1))`,
      `echo "$n" > '${editorDir}/count'`,
      `cp "$1" '${editorDir}/seen-'"$n"'.json'`,
      `cp '${editorDir}/edit-'"$n"'.json' "$1"`,
    ].join('\n'),
  )
  return editorDir
}

const review = (steps: TerminalStep[], extraEnv: NodeJS.ProcessEnv = {}, args: string[] = []) =>
  runOnTerminalSteps(['quarantine', 'review', ...args, '--local'], {env: {...env, ...extraEnv}, steps})

beforeAll(async () => {
  ;({pipeline, cli, env} = await startPipelineForCli())
  dir = mkdtempSync(join(tmpdir(), 'ep-review-'))
})
afterAll(async () => {
  await pipeline?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
  // The pipeline's XDG home (its data directory).
  if (env) rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
})

describe('quarantine review on a terminal', () => {
  it('acts on each entry with one key (e, ?, a, r, d, s, q) and ends with what was done', async () => {
    // Oldest first: the review shows them newest first.
    await send('review/quit-at.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Porcelain", "Streams": -1}')
    await send('review/skip-me.json', '{"ArtistID": "Moby"')
    await send('review/delete-me.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Go",}')
    await send('review/release-me.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Lift Me Up", "Year": "2005"}')
    await send('review/loyal.json', '{"ArtistID": "Odesza", "ItemID": "TRACK#Loyal", "Streams": 10}')
    await send('review/loyal-again.json', '{"ArtistID": "Odesza", "ItemID": "TRACK#Loyal", "Streams": 25}')
    await send('review/mend-me.json', '{"ArtistID":"Moby","ItemID":"TRACK#Natural Blues","Streams":"many"}')
    const editor = editorSaving([
      '{"ArtistID": "Moby", "ItemID": "TRACK#Natural Blues", "Streams": "still many"}\n',
      '{"ArtistID": "Moby", "ItemID": "TRACK#Natural Blues", "Streams": 1999}\n',
    ])
    const kept = {
      mendMe: await entriesOf('review/mend-me.json'),
      deleteMe: await entriesOf('review/delete-me.json'),
    }

    const run = await review(
      [
        {prompt: 'q quit', answer: 'e'},
        {prompt: 'b back to the entry', answer: 'e'},
        {prompt: 'q quit', answer: '?'},
        {prompt: 'q quit', answer: 'a'},
        {prompt: 'q quit', answer: 'r'},
        {prompt: 'q quit', answer: 'd'},
        {prompt: 'q quit', answer: 's'},
        {prompt: 'q quit', answer: 'q'},
      ],
      {EDITOR: `sh ${join(editor, 'edit.sh')}`},
    )
    const screen = run.stdout.replaceAll('\r\n', '\n')
    expect(run.exitCode, screen).toBe(0)

    // The first entry, newest: its header, its record laid out one attribute per line, the problem pointed at.
    expect(screen).toMatch(/^1\/6 {2}schema {2}just now {2}review\/mend-me\.json$/m)
    expect(screen).toContain('4 │   "Streams": "many"\n  │              ^ 4:14 ')
    // The editor got the record as shown; its first save is still invalid, and said so where.
    expect(readFileSync(join(editor, 'seen-1.json'), 'utf8')).toBe(
      '{\n  "ArtistID": "Moby",\n  "ItemID": "TRACK#Natural Blues",\n  "Streams": "many"\n}\n',
    )
    expect(screen).toContain('Still not a valid record (schema):')
    expect(screen).toContain('^ 1:66 Streams must be a non-negative whole number')
    // Edited again, valid: released in place of the entry.
    expect(readFileSync(join(editor, 'seen-2.json'), 'utf8')).toContain('"still many"')
    expect(screen).toContain('Released the mended record under review/mend-me.json; the entry is removed.')

    // The duplicate: its change against the stored item, help, then accepted.
    expect(screen).toMatch(/^2\/6 {2}duplicate {2}just now {2}review\/loyal-again\.json$/m)
    expect(screen).toContain('Against the stored item:\n    Streams: 10 → 25')
    expect(screen).toContain('d  delete the entry (recoverable for 90 days')
    expect(screen).toContain('Accepted: the stored item is replaced (its version 1 kept in the history)')
    expect(screen).toContain('Released: back under review/release-me.json, to be processed again.')
    expect(screen).toContain('Deleted (recoverable for 90 days')
    expect(screen).toContain('Skipped.')
    expect(screen).toContain(
      'Reviewed 5 of 6 entries: 1 mended and released, 1 accepted, 1 released, 1 deleted, 1 skipped.',
    )

    await pipeline.idle()
    expect(await storedItem('Moby', 'TRACK#Natural Blues')).toMatchObject({Streams: {N: '1999'}})
    expect(await storedItem('Odesza', 'TRACK#Loyal')).toMatchObject({Streams: {N: '25'}})
    expect(await entriesOf('review/loyal-again.json')).toEqual([])
    expect(await entriesOf('review/mend-me.json')).not.toContain(kept.mendMe[0])
    expect(await entriesOf('review/delete-me.json')).not.toContain(kept.deleteMe[0])
    expect(await entriesOf('review/skip-me.json')).toHaveLength(1)
    expect(await entriesOf('review/quit-at.json')).toHaveLength(1)
  })

  it('stops at Ctrl-C: exit 130, with the summary', async () => {
    await send('interrupt/one.json', '{"ArtistID": "Moby"')
    await send('interrupt/two.json', '{"ArtistID": "Moby"')
    const run = await review(
      [
        {prompt: 'q quit', answer: 's'},
        {prompt: 'q quit', answer: CTRL_C},
      ],
      {},
      ['--prefix', 'interrupt/'],
    )
    expect(run.exitCode, run.stdout).toBe(130)
    expect(run.stdout).toContain('Interrupted (Ctrl-C): Reviewed 1 of 2 entries: 1 skipped.')
    expect(await entriesOf('interrupt/two.json')).toHaveLength(1)
  })

  it('highlights the problem in colour on a colour terminal', async () => {
    await send('colour/one.json', '{"ArtistID": "Moby", "ItemID": 7}')
    const run = await review([{prompt: ' help', answer: 'q'}], {NO_COLOR: undefined, FORCE_COLOR: '1'}, [
      '--prefix',
      'colour/',
    ])
    expect(run.exitCode, run.stdout).toBe(0)
    // The value at fault, "7" at line 3 column 13, shown in reverse red; the marker under it in red.
    expect(run.stdout).toContain('\u001B[31m\u001B[7m7\u001B[27m\u001B[39m')
  })
})

describe('quarantine review without a terminal', () => {
  it('exits 2 and names the commands that need none', async () => {
    const run = await cli(['quarantine', 'review'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('there is no terminal to review on')
    for (const command of ['show KEY', 'release KEY', 'rm KEY', 'fix KEY --file FILE', 'accept KEY'])
      expect(run.stderr).toContain(command)
  })
})

describe('quarantine accept on a terminal', () => {
  it('an accept that loses its race while asking is refused as a Conflict, with the entry kept', async () => {
    await send('accept-race/v1.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Porcelain", "Streams": 1}')
    await send('accept-race/a.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Porcelain", "Streams": 100}')
    await send('accept-race/b.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Porcelain", "Streams": 200}')
    const [entryA] = await entriesOf('accept-race/a.json')
    // A plans against version 1 and asks; B is accepted meanwhile; then A is told yes.
    const run = await runOnTerminalSteps(['quarantine', 'accept', 'accept-race/a.json', '--local', '--json'], {
      env,
      steps: [
        {
          prompt: 'Accept 1 quarantine entry',
          answer: 'y\r',
          async beforeAnswer() {
            const other = await cli(['quarantine', 'accept', 'accept-race/b.json', '--yes'])
            expect(other.exitCode, other.stderr).toBe(0)
          },
        },
      ],
    })
    expect(run.exitCode).toBe(1)
    const error = JSON.parse(run.stdout.slice(run.stdout.indexOf('{\r\n'))).error
    expect(error).toMatchObject({
      code: 'Conflict',
      message: `Not accepted ${entryA}: the stored item changed while accepting (it is no longer version 1); nothing was replaced.`,
      hint: expect.stringContaining(`eventpulse quarantine show ${entryA} --local`),
    })
    expect(await entriesOf('accept-race/a.json')).toEqual([entryA])
    expect(await storedItem('Moby', 'TRACK#Porcelain')).toMatchObject({Streams: {N: '200'}})
  })
})

describe('quarantine fix', () => {
  it('refuses an invalid mended record, naming file, line and column, and keeps the entry', async () => {
    await send('fix/refused.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Why Does My Heart", "Year": "1999"}')
    const [entry] = await entriesOf('fix/refused.json')
    const mended = join(dir, 'refused.json')
    writeFileSync(mended, '{\n  "ArtistID": "Moby",\n  "ItemID": "TRACK#Why Does My Heart",\n  "Year": "1999"\n}\n')
    const run = await cli(['quarantine', 'fix', 'fix/refused.json', '--file', mended, '--yes'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`${mended} is not a valid record (schema); nothing was released`)
    expect(run.stderr).toContain(`${mended}:4:11  `)
    expect(await entriesOf('fix/refused.json')).toEqual([entry])
  })

  it('releases a valid one in place of the entry: stored, and the entry gone', async () => {
    await send('fix/mended.json', '{"ArtistID": "Moby", "ItemID": "TRACK#Extreme Ways", "Year": "2002"}')
    const mended = join(dir, 'mended.json')
    writeFileSync(mended, '{"ArtistID": "Moby", "ItemID": "TRACK#Extreme Ways", "Year": 2002}')
    const run = await cli(['quarantine', 'fix', 'fix/mended.json', '--file', mended, '--yes', '--wait'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain('1 released: 1 stored, 0 quarantined again.')
    expect(await storedItem('Moby', 'TRACK#Extreme Ways')).toMatchObject({Year: {N: '2002'}})
    expect(await entriesOf('fix/mended.json')).toEqual([])
  })
})
