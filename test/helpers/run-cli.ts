import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..')

export interface CliRun {
  stdout: string
  stderr: string
  exitCode: number | null
}

/** A fresh XDG home for a test, so that no test sees another's (or the developer's) data and caches. */
export function isolatedXdg(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'eventpulse-test-'))
  return {XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config')}
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
      env: {...process.env, ...isolatedXdg(), NO_COLOR: '1', ...options.env},
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
