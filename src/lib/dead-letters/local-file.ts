import {askToRemoveDeadLetters} from '#local/control.js'
import {readDeadLetterFile} from '#local/dispatcher.js'
import type {LocalPipelineState} from '#local/state.js'
import type {DeadLetterSource} from './letters.js'

/**
 * The local pipeline's dead-letter file. Reading it is safe while `local start` appends (whole lines); removing is
 * asked of `local start` itself, which rewrites the file between its own appends, so no record it adds meanwhile is
 * lost (a rewrite by this process could not know of an append made after it read the file).
 */
export function localFileSource(state: LocalPipelineState): DeadLetterSource {
  return {
    async read() {
      const lines = await readDeadLetterFile(state.deadLetterFile)
      return {
        places: [{place: 'dead-letter-file', where: state.deadLetterFile, listed: lines.length, complete: true}],
        letters: lines.map(({id, record}) => ({
          place: 'dead-letter-file',
          id,
          body: record?.event,
          error: {code: record?.error?.name, message: record?.error?.message},
          at: record?.at ? new Date(record.at) : undefined,
          attempts: record?.attempts,
        })),
      }
    },
    async remove(letters) {
      return {
        removed: await askToRemoveDeadLetters(
          state,
          letters.map((letter) => letter.id),
        ),
        failed: [],
      }
    },
  }
}
