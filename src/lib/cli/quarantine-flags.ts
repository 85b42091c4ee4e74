import {Flags} from '@oclif/core'

import {pipelineFlags} from './pipeline-flags.js'
import {commonFlags} from './common-flags.js'

/**
 * Flags of every `quarantine` command: the pipeline target (as the quarantine-admin role), its quarantine bucket and
 * the request concurrency.
 */
export const quarantineFlags = {...pipelineFlags('quarantineBucket'), concurrency: commonFlags.concurrency}

/**
 * --line N: a batch object's records are quarantined one entry per line (`<batch key>/q-<id>`, the line in the entry's
 * metadata); this picks the entry of line N among the source key's entries.
 */
export const lineFlag = {
  line: Flags.integer({
    description: "Only the entry of this line of a batch object (a batch's records are quarantined one per line).",
    min: 1,
  }),
}

export const entryArgumentDescription =
  'A source key (all its quarantine entries) or an entry key as `quarantine list` prints it (<source key>/q-<id>).'

/** What `quarantine rm` and `release` tell actOnEntries: their flags, Ctrl-C, and where to speak (stderr). */
export function entriesActionOptions(
  flags: {yes: boolean; 'dry-run': boolean; quiet: boolean},
  signal: AbortSignal,
  say: (line: string) => void,
) {
  return {yes: flags.yes, dryRun: flags['dry-run'], quiet: flags.quiet, signal, say, warn: say}
}
