import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {interruptedError} from '#core/errors.js'
import {PACKAGE_ROOT} from '#core/package-root.js'
import {shellWord} from '#core/shell-words.js'
import {startLocalPipeline} from '#local/pipeline.js'
import {localTarget} from '#local/target.js'
import type {Progress} from '#terminal/progress.js'
import {listEntries, type QuarantineEntry} from '#quarantine/entries.js'
import {outcomeLine} from '#status/status-lines.js'
import type {KeyStatus} from '#status/key-status.js'
import {planUpload} from '#upload/plan.js'
import {dryRun, invalidLines, runUpload} from '#upload/run-upload.js'
import type {UploadedFile} from '#upload/send.js'

/** The shipped examples: valid records, invalid ones (each with the reason it should get), and a duplicate. */
export const EXAMPLES_DIR = join(PACKAGE_ROOT, 'examples')

/**
 * How to see such outcomes with the other commands once the demo has stopped its throw-away pipeline: the same
 * examples through a pipeline of one's own, each command as it can be pasted.
 */
export function afterDemoLines(): string[] {
  const examples = (path: string) => shellWord(join(EXAMPLES_DIR, path))
  return [
    'To see the same with the other commands, start a pipeline of your own: `eventpulse local start` in one',
    'terminal, then in another:',
    `  eventpulse upload ${examples('valid')} ${examples('invalid')} --local --no-validate --wait`,
    '  eventpulse quarantine list --local',
  ]
}

const ROUNDS = [
  {title: 'valid and invalid records', paths: ['valid', 'invalid']},
  // Sent once the first round is stored, so that it is the copy that finds its item already there.
  {title: 'a duplicate of a record stored just before', paths: ['demo/duplicate']},
] as const

export interface DemoFile {
  key: string
  expected: string
  outcome: string
  reason?: string
  message?: string
  asExpected: boolean
}

export interface DemoResult {
  asExpected: boolean
  files: DemoFile[]
  quarantine: QuarantineEntry[]
}

/**
 * What the example should become: stored, or quarantined with the reason the record check gives it (or as a duplicate).
 */
function expectedOutcome(file: UploadedFile, round: number): string {
  if (round === 1) return 'quarantined: duplicate'
  return file.reason ? `quarantined: ${file.reason}` : 'stored'
}

/**
 * The main job, end to end on a throw-away local pipeline: start it (in a temporary directory, so it never touches
 * a pipeline started with `local start`), upload the examples, wait for each outcome, show what was stored and what
 * was quarantined and why (each once), count the quarantine's entries, stop. `say` gets the report, `important` the
 * lines `--quiet` keeps: what was refused or unexpected, and the summary. Ctrl-C (`signal`) stops it after the
 * uploads under way, and the pipeline is stopped and its data removed all the same.
 */
export async function runDemo(options: {
  say: (line: string) => void
  important: (line: string) => void
  progress: (total: number, label: string) => Progress
  timeoutMs: number
  keepDataDir?: boolean
  signal?: AbortSignal
}): Promise<DemoResult & {dataDir: string}> {
  const {say, important} = options
  // Keys as `upload examples/` gives them: valid/..., invalid/..., demo/duplicate/...
  const plan = (path: string) => planUpload([shownPath(join(EXAMPLES_DIR, path))], {prefix: path})
  const plans = await Promise.all(ROUNDS.map(async ({paths}) => (await Promise.all(paths.map(plan))).flat()))
  const total = plans.flat().length
  const dataDir = await mkdtemp(join(tmpdir(), 'eventpulse-demo-'))
  say(`Starting the local pipeline (data in ${dataDir}) ...`)
  const pipeline = await startLocalPipeline({dataDir, writeState: false, log: () => {}})
  try {
    say(`  S3 at ${pipeline.state.endpoints.s3}, DynamoDB at ${pipeline.state.endpoints.dynamodb}`)
    say(`  The ${total} examples, to try the other commands on: ${EXAMPLES_DIR}`)
    const target = localTarget(pipeline.state, {label: 'demo pipeline', concurrency: 8, clients: pipeline})
    const files: DemoFile[] = []
    const outcomes: KeyStatus[] = []
    for (const [round, {title}] of ROUNDS.entries()) {
      const planned = plans[round]
      const checked = await dryRun(planned, {validate: true})
      const these = planned.length === 1 ? 'the last example' : `${planned.length} of the ${total} examples`
      say('')
      say(`Uploading ${these}, ${title}, and waiting for the outcome${planned.length === 1 ? '' : 's'}`)
      const refused = invalidLines(checked.files)
      for (const line of refused) important(`  refused by upload's check: ${line}`)
      if (refused.length > 0)
        say('  (the demo sends them anyway, as --no-validate would, to show what the pipeline does with them)')
      const reasons = new Map(checked.files.map((file) => [file.key, file.reason]))
      // Everything is sent (no check, no look-up in the table), to show what the pipeline itself does with each file.
      const result = await runUpload(target, planned, {
        validate: false,
        force: true,
        progress: options.progress(planned.length, 'Uploading'),
        wait: {timeoutMs: options.timeoutMs, progress: (count) => options.progress(count, 'Processing')},
        signal: options.signal,
      })
      if (options.signal?.aborted)
        throw interruptedError(
          `${files.length + (result.summary.stored ?? 0) + (result.summary.quarantined ?? 0)} of the ${total} ` +
            'examples had their outcome; the demo pipeline is stopped and its data removed.',
        )
      for (const file of result.files) {
        const outcome = file.outcome
        const expected = expectedOutcome({...file, reason: reasons.get(file.key)}, round)
        const actual =
          outcome?.state === 'quarantined' ? `quarantined: ${outcome.reason}` : (outcome?.state ?? file.status)
        files.push({
          key: file.key,
          expected,
          outcome: actual,
          reason: outcome?.reason,
          message: outcome?.message,
          asExpected: expected === actual,
        })
        if (outcome) outcomes.push(outcome)
      }
    }

    // The demo reads the quarantine as its admin would: the reason's full message is in each entry's metadata.
    const {entries: quarantine} = await listEntries(target)
    const messages = new Map(quarantine.map((entry) => [entry.key, entry.message]))
    for (const [state, heading] of [
      ['stored', 'Stored'],
      ['quarantined', 'Quarantined, and why'],
    ] as const) {
      const these = outcomes.filter((outcome) => outcome.state === state)
      say('')
      say(`${heading} (${these.length}):`)
      for (const outcome of these)
        say(`  ${outcomeLine(outcome.entry ? {...outcome, message: messages.get(outcome.entry)} : outcome)}`)
    }

    const stored = files.filter((f) => f.outcome === 'stored').length
    const surprises = files.filter((f) => !f.asExpected)
    say('')
    say(
      `The quarantine holds ${quarantine.length} ${quarantine.length === 1 ? 'entry' : 'entries'}: ` +
        'the ones above. The demo stops its pipeline now; see below to look at such entries yourself.',
    )
    for (const surprise of surprises)
      important(`UNEXPECTED: ${surprise.key} expected ${surprise.expected}, got ${surprise.outcome}`)
    important(
      `${files.length} examples: ${stored} stored, ${files.length - stored} quarantined` +
        `${surprises.length === 0 ? ', each as expected.' : `; ${surprises.length} not as expected.`}`,
    )
    return {asExpected: surprises.length === 0, files, quarantine, dataDir}
  } finally {
    say('Stopping the local pipeline.')
    await pipeline.stop()
    if (!options.keepDataDir) await rm(dataDir, {recursive: true, force: true})
  }
}

/** Paths as the user would type them from here, when the examples are below the working directory. */
function shownPath(path: string): string {
  const fromHere = relative(process.cwd(), path)
  return fromHere.startsWith('..') ? path : fromHere
}
