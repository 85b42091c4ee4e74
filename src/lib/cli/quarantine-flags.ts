import {Flags} from '@oclif/core'

import type {TargetRequest} from '#aws/target.js'

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

/** Flags of the commands that put entries back to be processed again (`quarantine release`, `fix`). */
export const releaseFlags = {
  ...pipelineFlags('quarantineBucket', 'processingBucket', 'table', 'outcomesTable'),
  ...lineFlag,
  concurrency: commonFlags.concurrency,
  yes: commonFlags.yes,
  'dry-run': commonFlags['dry-run'],
  wait: Flags.boolean({description: 'Wait until each released object is stored or quarantined again.'}),
  timeout: Flags.string({description: 'How long --wait waits (e.g. 90s, 5m).', default: '5m'}),
  quiet: commonFlags.quiet,
}

/** What the target of `quarantine release` and `fix` needs: the table and outcomes only to --wait. */
export const releaseTargetRequest = (flags: {wait: boolean; concurrency: number}): TargetRequest => ({
  role: 'quarantineAdmin',
  needs: ['quarantineBucket', 'processingBucket', ...(flags.wait ? (['table'] as const) : [])],
  wants: flags.wait ? ['outcomesTable'] : [],
  concurrency: flags.concurrency,
})
