import type {PipelineTarget} from '#aws/clients.js'
import {readLocalPipeline} from '#local/state.js'
import type {DeadLetterSource} from './letters.js'
import {localFileSource} from './local-file.js'
import {queueSource} from './queues.js'

/** Where the target keeps its dead letters: the local pipeline's file, or the stack's two queues. */
export const deadLetterSource = (target: PipelineTarget): DeadLetterSource =>
  target.local ? localFileSource(readLocalPipeline()) : queueSource(target)
