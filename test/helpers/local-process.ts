import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {LocalPipelineState} from '#local/state.js'
import {afterAll, beforeAll} from 'vitest'

import {cliEnv, isolatedXdg, PROJECT_ROOT} from './run-cli.js'

/** Polls until the probe gives a value (not undefined). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** The local pipeline's data directory under an isolated XDG home. */
export const localDataDir = (env: NodeJS.ProcessEnv): string => join(env.XDG_DATA_HOME!, 'eventpulse', 'local')

export interface LocalStartProcess {
  child: ChildProcess
  /** Exit code, or the signal's name when killed. */
  exited: Promise<number | string>
  stdout(): string
  stderr(): string
}

/** Runs `eventpulse local start` (the built CLI) on free ports as a child process. */
export function spawnLocalStart(
  env: NodeJS.ProcessEnv,
  options: {args?: string[]; nodeArgs?: string[]} = {},
): LocalStartProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      join(PROJECT_ROOT, 'bin/run.js'),
      'local',
      'start',
      '--s3-port',
      '0',
      '--dynamodb-port',
      '0',
      ...(options.args ?? []),
    ],
    {cwd: PROJECT_ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe']},
  )
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return {
    child,
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1))),
    stdout: () => stdout,
    stderr: () => stderr,
  }
}

/** The state file of this process once it is running: written after the emulators, table and leftovers are ready. */
export function runningState(env: NodeJS.ProcessEnv, run: LocalStartProcess): Promise<LocalPipelineState> {
  const stateFile = join(localDataDir(env), 'state.json')
  return waitFor('the state file of the started pipeline', () => {
    if (run.child.exitCode !== null) throw new Error(`local start exited ${run.child.exitCode}: ${run.stderr()}`)
    if (!existsSync(stateFile)) return undefined
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalPipelineState
      return state.pid === run.child.pid ? state : undefined
    } catch {
      return undefined
    }
  })
}

/**
 * Runs `local start` (the built CLI) for the tests of the enclosing suite, in an XDG home of its own that is removed
 * afterwards; `extraEnv` is added to its environment (test hooks). The getters work once the suite's tests run.
 */
export function localStartForSuite(extraEnv: NodeJS.ProcessEnv = {}): {
  env: NodeJS.ProcessEnv
  run: () => LocalStartProcess
  state: () => LocalPipelineState
} {
  const env = isolatedXdg()
  let run: LocalStartProcess | undefined
  let state: LocalPipelineState | undefined
  beforeAll(async () => {
    run = spawnLocalStart({...env, ...extraEnv})
    state = await runningState(env, run)
  }, 30_000)
  afterAll(async () => {
    run?.child.kill('SIGINT')
    await run?.exited
    rmSync(dirname(env.XDG_DATA_HOME!), {recursive: true, force: true})
  })
  return {env, run: () => run!, state: () => state!}
}
