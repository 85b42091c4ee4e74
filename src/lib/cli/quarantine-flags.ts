import {pipelineFlags} from './pipeline-flags.js'
import {commonFlags} from './common-flags.js'

/**
 * Flags of every `quarantine` command: the pipeline target (as the quarantine-admin role) and the request concurrency.
 */
export const quarantineFlags = {...pipelineFlags, concurrency: commonFlags.concurrency}

export const entryArgumentDescription =
  'A source key (all its quarantine entries) or an entry key as `quarantine list` prints it (<source key>/q-<id>).'
