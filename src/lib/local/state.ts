import {readFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {writeFileAtomically} from '#core/files.js'
import {localStateFile} from '#core/paths.js'
import type {OutcomeCounts} from '#processor/metrics.js'
import type {PipelineRole} from '#aws/credentials.js'
import type {LocalCredentials} from './credentials.js'

/** Where everything of the local pipeline lives, below one directory (by default dataDir()/local). */
export function localLayout(root: string) {
  return {
    root,
    stateFile: join(root, 'state.json'),
    /** The keys the emulators take requests signed with (credentials.ts): kept across restarts, 0600. */
    credentialsFile: join(root, 'credentials.json'),
    lockFile: join(root, 'pipeline.lock'),
    s3Directory: join(root, 's3'),
    dynamodbDirectory: join(root, 'dynamodb'),
    inflightDirectory: join(root, 'inflight'),
    /** Objects a crash left half-written, set aside at start (see s3-files.ts). */
    damagedDirectory: join(root, 'damaged'),
    outboxFile: join(root, 'outbox.jsonl'),
    deadLetterFile: join(root, 'dead-letter.jsonl'),
    logFile: join(root, 'pipeline.log'),
  }
}

export type LocalLayout = ReturnType<typeof localLayout>

/** The local pipeline's data directory for this user: dataDir()/local. */
export const localDataRoot = (env: NodeJS.ProcessEnv = process.env): string => dirname(localStateFile(env))

/** Where the running pipeline takes requests (control.ts), and the token every request must carry. */
export interface LocalControlAddress {
  url: string
  token: string
}

/** What `local start` writes while it runs, for `--local` commands and `local status`. */
export interface LocalPipelineState {
  pid: number
  startedAt: string
  dataDir: string
  region: string
  endpoints: {s3: string; dynamodb: string}
  /** The pipeline's own keys (the data directory's keyring, see credentials.ts): its processor, sweep and status. */
  credentials: LocalCredentials
  /** The keys `--local` commands sign with for each stack role (the same keyring). */
  roleCredentials: Record<PipelineRole, LocalCredentials>
  processingBucket: string
  quarantineBucket: string
  table: string
  outcomesTable: string
  /** Items' earlier versions; absent from a pipeline started by an older version. */
  historyTable?: string
  /** The uploader role may write replacements too (`local start --uploader-may-replace`). */
  uploaderMayReplace?: boolean
  /** Digest of the item schema this pipeline's processor checks with. */
  schemaHash?: string
  outboxFile: string
  deadLetterFile: string
  logFile: string
  /** The sweep's schedule, and its counts so far (recovered: stored or quarantined; givenUp: dead-lettered). */
  sweep: {everySeconds: number; stuckAfterSeconds: number; recovered: number; givenUp: number}
  /** Where `sweep --local` and `dead-letters clear --local` ask it (control.ts); absent before EventPulse had it. */
  control?: LocalControlAddress
  /**
   * What became of uploads since start, counted as the processor's metrics count them on AWS (the dashboard); saved
   * again within a second of a change. Absent from a pipeline started by an older version.
   */
  outcomes?: OutcomeCounts
}

export type ShownState = Omit<LocalPipelineState, 'control' | 'credentials' | 'roleCredentials'>

/** The state without its secrets (control token, credentials): what JSON output may show, as it may be logged. */
export function shownState(state: LocalPipelineState): ShownState {
  const {control: _control, credentials: _credentials, roleCredentials: _roleCredentials, ...shown} = state
  return shown
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export const writeLocalState = (file: string, state: LocalPipelineState): Promise<void> =>
  writeFileAtomically(file, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})

export const removeLocalState = (file: string): Promise<void> => rm(file, {force: true})

export type LocalPipelineStatus =
  {running: true; dataDir: string; state: LocalPipelineState} | {running: false; dataDir: string; staleState?: boolean}

/** Whether a local pipeline runs on this data directory (a state file left by a process that died does not count). */
export function localPipelineStatus(root: string = localDataRoot()): LocalPipelineStatus {
  const {stateFile} = localLayout(root)
  let state: LocalPipelineState
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8'))
  } catch {
    return {running: false, dataDir: root}
  }
  if (typeof state?.pid !== 'number' || !isProcessAlive(state.pid))
    return {running: false, dataDir: root, staleState: true}
  return {running: true, dataDir: root, state}
}

/** Whether `--local` has a pipeline to use, for messages that offer it as a way out. */
export function localPipelineNote(status: LocalPipelineStatus = localPipelineStatus()): string {
  return status.running
    ? `A local pipeline is running here (pid ${status.state.pid}): add --local to use it.`
    : 'No local pipeline is running here: start one with `eventpulse local start` in another terminal to use --local.'
}

/** The running local pipeline, for `--local`; when none runs, the target is unreachable (exit 4, as AWS would be). */
export function readLocalPipeline(root: string = localDataRoot()): LocalPipelineState {
  const status = localPipelineStatus(root)
  if (status.running) return status.state
  throw new CliError(
    `The local pipeline is not running${status.staleState ? ' (its last run ended without cleaning up)' : ''}.`,
    {
      exitCode: ExitCode.Aws,
      code: 'LocalPipelineNotRunning',
      hint: 'Start it with `eventpulse local start` in another terminal.',
    },
  )
}
