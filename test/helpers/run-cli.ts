import {spawn} from 'node:child_process'
import {dirname, join, resolve} from 'node:path'

import {tempDir} from './temp-dirs.js'

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..')

export interface CliRun {
  stdout: string
  stderr: string
  exitCode: number | null
}

/** A fresh XDG home for a test, so that no test sees another's (or the developer's) data and caches. */
export function isolatedXdg(): NodeJS.ProcessEnv {
  const home = tempDir('eventpulse-test-')
  return {XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config')}
}

/**
 * What a child process inherits: the few variables needed to run at all, never the developer's AWS_*, proxies or Node
 * options; the run's shared compile cache (file-tmpdir.ts); and the switch vitest.config.ts sets so that the Node 20 notice (tested on its own) stays out of the others.
 */
const INHERITED = [
  'PATH',
  'TMPDIR',
  'NODE_COMPILE_CACHE',
  'LANG',
  'LC_ALL',
  'TZ',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
]

/**
 * A clean environment for the CLI: PATH and a few safe variables, a fresh HOME and XDG home (so no ~/.aws of the
 * developer's), NO_COLOR, then what the test sets.
 */
export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(INHERITED.filter((name) => process.env[name]).map((n) => [n, process.env[n]]))
  const xdg = isolatedXdg()
  return {...inherited, HOME: dirname(xdg.XDG_DATA_HOME!), ...xdg, NO_COLOR: '1', ...env}
}

/** Runs the built CLI (bin/run.js) as a user would, with no terminal attached. */
export function runCli(
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer; bin?: string} = {},
): Promise<CliRun> {
  const bin = options.bin ?? join(PROJECT_ROOT, 'bin/run.js')
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: cliEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (exitCode) => resolvePromise({stdout, stderr, exitCode}))
    child.stdin.end(options.input ?? '')
  })
}
