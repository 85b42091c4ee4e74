import {readFile, rm, writeFile} from 'node:fs/promises'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {isProcessAlive} from './state.js'

export interface InstanceLock {
  release(): Promise<void>
  /** The pipeline instance whose lock was taken over because its process had died, if the lock named one. */
  diedInstance?: string
}

/**
 * One local pipeline per data directory: the lock file holds the owner's pid and pipeline instance id (the one its
 * batch leases name), created exclusively. A lock whose process has died is taken over, and says which instance died.
 */
export async function acquireInstanceLock(file: string, instanceId: string): Promise<InstanceLock> {
  let diedInstance: string | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n${instanceId}\n`, {flag: 'wx', mode: 0o600})
      return {release: () => rm(file, {force: true}), diedInstance}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    // An older version wrote the pid alone.
    const [pid = '', instance] = (await readFile(file, 'utf8').catch(() => '')).split('\n')
    const owner = Number.parseInt(pid, 10)
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
    diedInstance = instance || diedInstance
    await rm(file, {force: true})
  }
  throw new CliError(`Could not take the lock ${file}: another local pipeline keeps starting.`, {
    exitCode: ExitCode.Usage,
    code: 'LocalPipelineRunning',
  })
}
