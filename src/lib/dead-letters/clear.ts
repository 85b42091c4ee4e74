import type {PipelineTarget} from '#aws/clients.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {confirmOrRefuse} from '#terminal/confirm.js'
import {type DeadLetter, type DeadLetterSource, incompleteLines, letterLine, listDeadLetters} from './letters.js'

export interface ClearResult {
  /** Ids of the letters removed. */
  removed: string[]
  /** Letters kept: an object of theirs still waits, or they are not S3 events. */
  kept: DeadLetter[]
  /** Letters to remove that were gone by the time of the removal (removed, or being read, by someone else). */
  missing: string[]
  failed: {id: string; message: string}[]
  dryRun: boolean
  declined: boolean
}

/**
 * `dead-letters clear`: lists the letters, keeps (and names) those whose objects still wait in the processing bucket,
 * shows the others, asks (unless --yes; refuses without a terminal), then removes them.
 */
export async function clearDeadLetters(
  target: PipelineTarget,
  source: DeadLetterSource,
  options: {yes: boolean; dryRun: boolean; say: (line: string) => void},
): Promise<ClearResult> {
  const {places, letters} = await listDeadLetters(target, source)
  for (const line of incompleteLines(places)) options.say(line)
  const doomed = letters.filter((letter) => letter.clearable)
  const kept = letters.filter((letter) => !letter.clearable)
  const result: ClearResult = {removed: [], kept, missing: [], failed: [], dryRun: options.dryRun, declined: false}
  if (kept.length > 0) {
    options.say(
      `Keeping ${count(kept.length)}: an object of each still waits in the processing bucket ` +
        '(the sweep, or a redrive, handles it), or it is not an S3 event:',
    )
    for (const letter of kept) options.say(`  ${letterLine(letter)}`)
  }
  if (doomed.length === 0) {
    options.say('Nothing to clear.')
    return result
  }
  options.say(`${options.dryRun ? 'Would remove' : 'Removing'} ${count(doomed.length)} with nothing left waiting:`)
  for (const letter of doomed) options.say(`  ${letterLine(letter)}`)
  if (options.dryRun) return result
  if (!(await confirmOrRefuse(`Remove ${count(doomed.length)}?`, {yes: options.yes, action: 'remove dead letters'}))) {
    options.say('Nothing removed.')
    return {...result, declined: true}
  }
  const {removed, failed} = await source.remove(doomed)
  const settled = new Set([...removed, ...failed.map((failure) => failure.id)])
  const missing = doomed.map((letter) => letter.id).filter((id) => !settled.has(id))
  for (const failure of failed) options.say(`failed to remove ${failure.id}: ${failure.message}`)
  if (missing.length > 0)
    options.say(
      `${count(missing.length)} no longer found (removed, or being read, by someone else): ${missing.join(', ')}`,
    )
  options.say(`Removed ${removed.length} of ${count(doomed.length)}.`)
  return {...result, removed, failed, missing}
}

const count = (n: number) => `${n} dead ${n === 1 ? 'letter' : 'letters'}`

/** 4 if a removal failed, 1 if the user declined, else 0. */
export function clearExitStatus(result: ClearResult): ExitCodeValue {
  if (result.failed.length > 0) return ExitCode.Aws
  return result.declined ? ExitCode.Negative : ExitCode.Success
}
