import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {cliEnv, PROJECT_ROOT, type CliRun} from '../../helpers/run-cli.js'

/** How long a prompt may take to show up: the CLI starting and asking, on a loaded machine. */
const PROMPT_TIMEOUT_MS = 20_000

/** What pressing Ctrl-C sends down a terminal. */
export const CTRL_C = '\u0003'

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` once `prompt` shows up.
 * Everything the command writes, stdout and stderr alike, comes back as stdout. Rejects with what the screen showed
 * when the prompt does not show up: the command ended without it, or it took longer than `timeoutMs`.
 */
export function runOnTerminal(
  args: string[],
  options: {env: NodeJS.ProcessEnv; prompt: string; answer: string; timeoutMs?: number},
): Promise<CliRun> {
  const command = ['node', join(PROJECT_ROOT, 'bin/run.js'), ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {env: cliEnv(options.env)})
    let stdout = ''
    let prompted = false
    const noPrompt = (why: string) => new Error(`no prompt "${options.prompt}" (${why}); the screen showed:\n${stdout}`)
    const timer = setTimeout(() => {
      child.kill()
      reject(noPrompt(`not within ${options.timeoutMs ?? PROMPT_TIMEOUT_MS} ms`))
    }, options.timeoutMs ?? PROMPT_TIMEOUT_MS)
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (!prompted && stdout.includes(options.prompt)) {
        prompted = true
        clearTimeout(timer)
        child.stdin.end(options.answer)
      }
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (exitCode) => {
      clearTimeout(timer)
      if (prompted) resolve({stdout, stderr: '', exitCode})
      else reject(noPrompt(`the command ended with exit code ${exitCode}`))
    })
  })
}
