import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {PROJECT_ROOT, type CliRun} from '../../helpers/run-cli.js'

/** What pressing Ctrl-C sends down a terminal. */
export const CTRL_C = '\u0003'

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` once `prompt` shows up.
 * Everything the command writes, stdout and stderr alike, comes back as stdout. Fails fast, with what was written so
 * far, when the prompt has not shown up within `promptTimeoutMs`: a prompt that never comes would otherwise hang.
 */
export function runOnTerminal(
  args: string[],
  options: {env: NodeJS.ProcessEnv; prompt: string; answer: string; promptTimeoutMs?: number},
): Promise<CliRun> {
  const command = ['node', join(PROJECT_ROOT, 'bin/run.js'), ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: {...process.env, ...options.env, NO_COLOR: '1'},
    })
    let stdout = ''
    const noPrompt = setTimeout(() => {
      child.kill()
      reject(new Error(`The prompt ${JSON.stringify(options.prompt)} never showed up. Output so far:\n${stdout}`))
    }, options.promptTimeoutMs ?? 30_000)
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.includes(options.prompt) && !child.stdin.writableEnded) {
        clearTimeout(noPrompt)
        child.stdin.end(options.answer)
      }
    })
    child.on('error', reject)
    child.on('close', (exitCode) => {
      clearTimeout(noPrompt)
      resolve({stdout, stderr: '', exitCode})
    })
  })
}
