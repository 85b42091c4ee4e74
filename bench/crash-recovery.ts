// Crash recovery: NDJSON batches processed by a real `local start` child process (the built CLI), SIGKILLed during
// processing and started again each time, at default settings; timed from the upload until every batch is done, beside
// the same batches unkilled. Each run then checks its result: every valid record stored exactly once, one quarantine
// entry per invalid line, the batch's counts agree, nothing left in the processing bucket, no dead letter.
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {type AttributeValue, GetItemCommand, paginateScan} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand} from '@aws-sdk/client-s3'

import {listObjects} from '#aws/list-objects.js'
import {ITEM_METADATA, quarantineKey} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {PACKAGE_ROOT} from '#core/package-root.js'
import type {LocalPipelineState} from '#local/state.js'
import {localClients} from '#local/target.js'

const LINES_PER_BATCH = 25_000
/** Every hundredth line is not JSON: quarantined. */
const isInvalid = (line: number) => line % 100 === 0

interface Scenario {
  name: string
  batches: number
  kills: number
}

interface Run {
  ms: number
  kills: number
  check: string
}

/** A `local start` of the built CLI on free ports, with its own XDG home. */
class LocalStart {
  readonly child: ChildProcess
  readonly exited: Promise<unknown>

  constructor(private readonly home: string) {
    this.child = spawn(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin/run.js'), 'local', 'start', '--s3-port', '0', '--dynamodb-port', '0'],
      {cwd: PACKAGE_ROOT, env: env(home), stdio: 'ignore'},
    )
    this.exited = new Promise((resolve) => this.child.on('close', resolve))
  }

  /** Its state file, once it is up (emulators, table, leftovers queued). */
  async running(): Promise<LocalPipelineState> {
    const file = join(dataDir(this.home), 'state.json')
    for (let tries = 0; tries < 1200; tries++) {
      if (this.child.exitCode !== null) throw new Error(`local start exited ${this.child.exitCode}`)
      try {
        const state = JSON.parse(readFileSync(file, 'utf8')) as LocalPipelineState
        if (state.pid === this.child.pid) return state
      } catch {
        // Not written yet.
      }
      await sleep(50)
    }
    throw new Error('local start did not come up within a minute')
  }
}

const env = (home: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: home,
  XDG_DATA_HOME: join(home, 'data'),
  XDG_CACHE_HOME: join(home, 'cache'),
  XDG_CONFIG_HOME: join(home, 'config'),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
})
const dataDir = (home: string) => join(home, 'data', 'eventpulse', 'local')

const lineText = (run: string, batch: number, line: number) =>
  isInvalid(line)
    ? `{"ArtistID": "Crash ${batch}", "ItemID": "TRACK#${line}",}`
    : JSON.stringify({
        ArtistID: `Crash ${run} ${batch}`,
        ItemID: `TRACK#${line}`,
        Title: `Song ${line}`,
        EntityType: 'Track',
        Duration: 60 + (line % 600),
      })

/** Runs one scenario: uploads its batches, kills `kills` times spread over `killEveryMs`, and waits until all done. */
async function runScenario(scenario: Scenario, killEveryMs: number): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'eventpulse-bench-crash-'))
  const run = scenario.name.replaceAll(/\W+/g, '-')
  let pipeline = new LocalStart(home)
  try {
    let state = await pipeline.running()
    const keys = Array.from({length: scenario.batches}, (_, b) => `crash-bench/${run}-${b}.ndjson`)
    const bodies = keys.map((_, b) =>
      Array.from({length: LINES_PER_BATCH}, (_, i) => lineText(run, b, i + 1)).join('\n'),
    )
    const started = performance.now()
    const uploader = localClients(state)
    const etags = await Promise.all(
      keys.map(async (key, b) => {
        const {ETag} = await uploader.s3.send(
          new PutObjectCommand({Bucket: state.processingBucket, Key: key, Body: bodies[b], IfNoneMatch: '*'}),
        )
        return ETag!.replaceAll('"', '')
      }),
    )
    uploader.s3.destroy()
    uploader.dynamodb.destroy()

    let kills = 0
    for (; kills < scenario.kills; kills++) {
      await sleep(killEveryMs)
      if (await allDone(state, keys, etags)) break
      pipeline.child.kill('SIGKILL')
      await pipeline.exited
      pipeline = new LocalStart(home)
      state = await pipeline.running()
    }
    while (!(await allDone(state, keys, etags)) || !(await bucketEmpty(state, home))) await sleep(250)
    const ms = performance.now() - started
    const check = await checkResult(state, home, keys, etags)
    return {ms, kills, check}
  } finally {
    pipeline.child.kill('SIGINT')
    await pipeline.exited
    rmSync(home, {recursive: true, force: true})
  }
}

async function outcomeRecord(state: LocalPipelineState, key: string, etag: string) {
  const {dynamodb} = localClients(state)
  try {
    const {Item} = await dynamodb.send(
      new GetItemCommand({
        TableName: state.outcomesTable,
        Key: {[OUTCOMES_TABLE.partitionKey]: {S: key}, [OUTCOMES_TABLE.sortKey]: {S: etag}},
        ConsistentRead: true,
      }),
    )
    return Item ?? {}
  } finally {
    dynamodb.destroy()
  }
}

async function allDone(state: LocalPipelineState, keys: string[], etags: string[]): Promise<boolean> {
  const records = await Promise.all(keys.map((key, b) => outcomeRecord(state, key, etags[b])))
  return records.every((record) => record[OUTCOMES_TABLE.attributes.outcome]?.S === 'batch')
}

async function keysIn(state: LocalPipelineState, bucket: string): Promise<string[]> {
  const {s3, dynamodb} = localClients(state)
  try {
    const found: string[] = []
    for await (const object of listObjects(s3, bucket)) found.push(object.key)
    return found
  } finally {
    s3.destroy()
    dynamodb.destroy()
  }
}

/** Nothing left: no object in the processing bucket, no event in flight. */
async function bucketEmpty(state: LocalPipelineState, home: string): Promise<boolean> {
  const inflight = join(dataDir(home), 'inflight')
  return (
    (await keysIn(state, state.processingBucket)).length === 0 &&
    (!existsSync(inflight) || readdirSync(inflight).length === 0)
  )
}

/** The correctness checks, as one line; throws when one fails. */
async function checkResult(state: LocalPipelineState, home: string, keys: string[], etags: string[]): Promise<string> {
  const valid = Array.from({length: LINES_PER_BATCH}, (_, i) => i + 1).filter((line) => !isInvalid(line))
  const invalid = LINES_PER_BATCH - valid.length
  // Stored: each valid line of each batch once, by its source key and line.
  const storedLines = new Map<string, number[]>(keys.map((key) => [key, []]))
  const {dynamodb} = localClients(state)
  for await (const page of paginateScan({client: dynamodb}, {TableName: state.table}))
    for (const item of page.Items ?? ([] as Record<string, AttributeValue>[])) {
      const lines = storedLines.get(item[ITEM_METADATA.sourceKey]?.S ?? '')
      lines?.push(Number(item[ITEM_METADATA.sourceLine]?.N))
    }
  dynamodb.destroy()
  const failures: string[] = []
  for (const key of keys) {
    const lines = storedLines.get(key)!.sort((a, b) => a - b)
    if (lines.join() !== valid.join()) failures.push(`${key}: ${lines.length} lines stored, not each valid line once`)
  }
  // Quarantined: one entry per invalid line, exactly where the pipeline puts it.
  const entries = new Set(await keysIn(state, state.quarantineBucket))
  keys.forEach((key, b) => {
    const expected = Array.from({length: invalid}, (_, i) => quarantineKey(key, {etag: etags[b]}, (i + 1) * 100))
    const found = [...entries].filter((entry) => entry.startsWith(`${key}/`))
    if (found.length !== invalid || expected.some((entry) => !entries.has(entry)))
      failures.push(`${key}: ${found.length} quarantine entries, not one per invalid line`)
  })
  // The batch's own counts agree.
  for (const [b, key] of keys.entries()) {
    const counts = JSON.parse((await outcomeRecord(state, key, etags[b]))[OUTCOMES_TABLE.attributes.counts]?.S ?? '{}')
    if (counts.records !== LINES_PER_BATCH || counts.stored !== valid.length || counts.quarantined !== invalid)
      failures.push(`${key}: counts ${JSON.stringify(counts)}`)
  }
  if (!(await bucketEmpty(state, home))) failures.push('objects or events left in processing')
  const deadLetters = join(dataDir(home), 'dead-letter.jsonl')
  if (existsSync(deadLetters) && readFileSync(deadLetters, 'utf8') !== '') failures.push('dead letters written')
  if (failures.length > 0) throw new Error(`crash recovery: wrong result:\n  ${failures.join('\n  ')}`)
  const storedCount = valid.length * keys.length
  const entryCount = invalid * keys.length
  return (
    `${storedCount}/${storedCount} valid stored once, ${entryCount}/${entryCount} entries, ` +
    'counts agree, nothing left'
  )
}

/** Prints the crash-recovery runs side by side: 4 batches killed 5 times, 1 batch killed once, each beside unkilled. */
export async function crashRecovery(): Promise<void> {
  console.log(
    `\nCrash recovery (${LINES_PER_BATCH} NDJSON lines a batch, 1 in 100 invalid; \`local start\` child processes ` +
      'SIGKILLed during processing and started again; default settings)',
  )
  const scenarios = [
    {batches: 4, kills: 5, target: (killed: Run, unkilled: Run) => meets(killed.ms / unkilled.ms <= 1.5, '≤1.50x')},
    {batches: 1, kills: 1, target: (killed: Run, unkilled: Run) => meets(killed.ms - unkilled.ms <= 60_000, '≤+60 s')},
  ]
  for (const {batches, kills, target} of scenarios) {
    const name = `${batches} batch${batches === 1 ? '' : 'es'}`
    const unkilled = await runScenario({name: `${name} unkilled`, batches, kills: 0}, 0)
    print(`${name}, unkilled`, unkilled, unkilled.ms)
    const killed = await runScenario({name: `${name} killed`, batches, kills}, unkilled.ms / (kills + 1))
    print(`${name}, ${killed.kills} SIGKILL${killed.kills === 1 ? '' : 's'}`, killed, unkilled.ms)
    const added = ((killed.ms - unkilled.ms) / 1000).toFixed(0)
    console.log(`    ${added} s added by the kills; target ${target(killed, unkilled)}`)
  }
}

const meets = (met: boolean, target: string) => `${target}: ${met ? 'met' : 'MISSED'}`

function print(name: string, run: Run, unkilledMs: number) {
  console.log(
    `  ${name.padEnd(28)} ${run.ms.toFixed(0).padStart(8)} ms   ${(run.ms / unkilledMs).toFixed(2)}x unkilled   ${run.check}`,
  )
}
