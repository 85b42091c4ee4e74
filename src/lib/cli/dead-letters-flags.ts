import {DEAD_LETTER_QUEUES} from '#aws/clients.js'
import type {TargetRequest} from '#aws/target.js'
import {commonFlags} from './common-flags.js'
import {pipelineFlags} from './pipeline-flags.js'

/**
 * Flags of the `dead-letters` commands: the pipeline target (as the quarantine-admin role), its processing bucket
 * (where a letter's object may still wait) and its two dead-letter queues.
 */
export const deadLettersFlags = {
  ...pipelineFlags('processingBucket', ...DEAD_LETTER_QUEUES),
  concurrency: commonFlags.concurrency,
}

/** What the `dead-letters` commands ask of the target (--local has the file instead of the queues). */
export const deadLettersTargetRequest = (flags: {concurrency: number}): TargetRequest => ({
  role: 'quarantineAdmin',
  needs: ['processingBucket', ...DEAD_LETTER_QUEUES],
  concurrency: flags.concurrency,
})
