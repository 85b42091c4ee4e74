import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {PACKAGE_ROOT} from '#core/package-root.js'
import {startLocalPipeline} from '#local/pipeline.js'
import {localTarget} from '#local/target.js'
import type {Progress} from '#terminal/progress.js'
import {listEntries, type QuarantineEntry} from '#quarantine/entries.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {outcomeLine} from '#status/status-lines.js'
import type {KeyStatus} from '#status/key-status.js'
import {planUpload} from '#upload/plan.js'
import {dryRun, invalidLines, runUpload} from '#upload/run-upload.js'
import type {UploadedFile} from '#upload/send.js'

/** The shipped examples: valid records, invalid ones (each with the reason it should get), and a duplicate. */
export const EXAMPLES_DIR = join(PACKAGE_ROOT, 'examples')

const ROUNDS = [
  {title: 'valid and invalid records', paths: ['valid', 'invalid']},
  // Sent once the first round is stored, so that it is the one that finds its item already there, with other content.
  {title: 'a duplicate of a stored record', paths: ['demo/duplicate']},
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
 * was quarantined and why, list the quarantine, stop.
 */
export async function runDemo(options: {
  say: (line: string) => void
  progress: (total: number, label: string) => Progress
  timeoutMs: number
  keepDataDir?: boolean
}): Promise<DemoResult & {dataDir: string}> {
  const {say} = options
  const dataDir = await mkdtemp(join(tmpdir(), 'eventpulse-demo-'))
  say(`Starting the local pipeline (data in ${dataDir}) ...`)
  const pipeline = await startLocalPipeline({dataDir, writeState: false, log: () => {}})
  try {
    say(`  S3 at ${pipeline.state.endpoints.s3}, DynamoDB at ${pipeline.state.endpoints.dynamodb}`)
    const target = localTarget(pipeline.state, {label: 'demo pipeline', concurrency: 8, clients: pipeline})
    const files: DemoFile[] = []
    const outcomes: KeyStatus[] = []
    for (const [round, {title, paths}] of ROUNDS.entries()) {
      // Keys as `upload examples/` gives them: valid/..., invalid/..., demo/duplicate/...
      const planned = (
        await Promise.all(paths.map((path) => planUpload([shownPath(join(EXAMPLES_DIR, path))], {prefix: path})))
      ).flat()
      const checked = await dryRun(planned, {validate: true})
      say('')
      say(
        `Uploading ${title}: ${planned.length} ${planned.length === 1 ? 'file' : 'files'}, ` +
          `and waiting for the outcomes`,
      )
      const refused = invalidLines(checked.files)
      for (const line of refused) say(`  refused by upload's check: ${line}`)
      if (refused.length > 0)
        say('  (the demo sends them anyway, as --no-validate would, to show what the pipeline does with them)')
      const reasons = new Map(checked.files.map((file) => [file.key, file.reason]))
      // Everything is sent (no check, no look-up in the table), to show what the pipeline itself does with each file.
      const result = await runUpload(target, planned, {
        validate: false,
        force: true,
        progress: options.progress(planned.length, 'Uploading'),
        wait: {timeoutMs: options.timeoutMs, progress: (total) => options.progress(total, 'Processing')},
      })
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

    for (const [state, heading] of [
      ['stored', 'Stored'],
      ['quarantined', 'Quarantined, and why'],
    ] as const) {
      const these = outcomes.filter((outcome) => outcome.state === state)
      say('')
      say(`${heading} (${these.length}):`)
      for (const outcome of these) say(`  ${outcomeLine(outcome)}`)
    }

    const quarantine = await listEntries(target)
    say('')
    say(
      `Quarantine (eventpulse quarantine list): ${quarantine.length} ${quarantine.length === 1 ? 'entry' : 'entries'}`,
    )
    for (const entry of quarantine) say(`  ${entryLine(entry)}`)
    const stored = files.filter((f) => f.outcome === 'stored').length
    say('')
    say(`${files.length} examples: ${stored} stored, ${files.length - stored} quarantined.`)
    const surprises = files.filter((f) => !f.asExpected)
    for (const surprise of surprises)
      say(`UNEXPECTED: ${surprise.key} expected ${surprise.expected}, got ${surprise.outcome}`)
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
