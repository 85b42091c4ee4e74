import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {PROJECT_ROOT, type CliRun} from '../../helpers/run-cli.js'

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` once `prompt` shows up.
 * Everything the command writes, stdout and stderr alike, comes back as stdout.
 */
export function runOnTerminal(
  args: string[],
  options: {env: NodeJS.ProcessEnv; prompt: string; answer: string},
): Promise<CliRun> {
  const command = ['node', join(PROJECT_ROOT, 'bin/run.js'), ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: {...process.env, ...options.env, NO_COLOR: '1'},
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.includes(options.prompt) && !child.stdin.writableEnded) child.stdin.end(options.answer)
    })
    child.on('error', reject)
    child.on('close', (exitCode) => resolve({stdout, stderr: '', exitCode}))
  })
}
