import {readFile, rm, writeFile} from 'node:fs/promises'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {isProcessAlive} from './state.js'

/**
 * One local pipeline per data directory: the lock file holds the owner's pid, created exclusively. A lock whose
 * process has died is taken over. Returns the release function.
 */
export async function acquireInstanceLock(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, String(process.pid), {flag: 'wx', mode: 0o600})
      return () => rm(file, {force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(owner) && isProcessAlive(owner) && owner !== process.pid)
      throw new CliError(`A local pipeline is already running on this data directory (pid ${owner}).`, {
        exitCode: ExitCode.Usage,
        code: 'LocalPipelineRunning',
        hint:
          'Use it as it is (`eventpulse local status` shows its endpoints), ' +
          'or stop it with Ctrl-C in its terminal first.',
      })
    if (owner === process.pid)
      throw new CliError('This process already runs a local pipeline on this data directory.', {
        exitCode: ExitCode.Usage,
        code: 'LocalPipelineRunning',
      })
    await rm(file, {force: true})
  }
  throw new CliError(`Could not take the lock ${file}: another local pipeline keeps starting.`, {
    exitCode: ExitCode.Usage,
    code: 'LocalPipelineRunning',
  })
}
