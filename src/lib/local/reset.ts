import {readdir, rm} from 'node:fs/promises'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {localPipelineStatus} from './state.js'

/** Whether there is any local data to wipe. */
export async function hasLocalData(root: string): Promise<boolean> {
  return (await readdir(root).catch(() => [])).length > 0
}

export function assertLocalPipelineStopped(root: string): void {
  const status = localPipelineStatus(root)
  if (status.running)
    throw new CliError(`The local pipeline is running (pid ${status.state.pid}); its data cannot be wiped under it.`, {
      exitCode: ExitCode.Usage,
      code: 'LocalPipelineRunning',
      hint: 'Stop it first (Ctrl-C in its terminal), then run `eventpulse local reset` again.',
    })
}

/** Deletes the local pipeline's data directory; refuses while a pipeline runs on it. */
export async function wipeLocalData(root: string): Promise<void> {
  assertLocalPipelineStopped(root)
  await rm(root, {recursive: true, force: true})
}
