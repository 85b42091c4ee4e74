import {execFile} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cliEnv, PROJECT_ROOT} from '../../helpers/run-cli.js'

/**
 * A shell in which printed command lines run as a user pasting them would: bash, with `eventpulse` (the built CLI) on
 * the PATH. Asynchronous, so that a pipeline running in the test process goes on answering. `remove` deletes its
 * directory.
 */
export function pasteShell(): {
  paste: (command: string, env: NodeJS.ProcessEnv) => Promise<{status: number; stdout: string; stderr: string}>
  remove: () => void
} {
  const dir = mkdtempSync(join(tmpdir(), 'ep-paste-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(
    join(bin, 'eventpulse'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(PROJECT_ROOT, 'bin/run.js')}" "$@"\n`,
  )
  chmodSync(join(bin, 'eventpulse'), 0o755)
  return {
    paste: (command, env) => {
      const environment = cliEnv(env)
      const options = {cwd: dir, env: {...environment, PATH: `${bin}:${environment.PATH}`}}
      return new Promise((resolve) =>
        execFile('bash', ['-c', command], options, (error, stdout, stderr) =>
          resolve({status: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr}),
        ),
      )
    },
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}
