import {pipelineFlags} from './pipeline-flags.js'
import {commonFlags} from './common-flags.js'

/**
 * Flags of every `quarantine` command: the pipeline target (as the quarantine-admin role), its quarantine bucket and
 * the request concurrency.
 */
export const quarantineFlags = {...pipelineFlags('quarantineBucket'), concurrency: commonFlags.concurrency}

export const entryArgumentDescription =
  'A source key (all its quarantine entries) or an entry key as `quarantine list` prints it (<source key>/q-<id>).'
