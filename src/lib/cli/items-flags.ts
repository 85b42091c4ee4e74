import {Flags} from '@oclif/core'

import type {PipelineTarget} from '#aws/clients.js'

import {commonFlags} from './common-flags.js'
import {pipelineFlags} from './pipeline-flags.js'

/** Flags of the `items` commands: the pipeline target (as the uploader role), and the typed form on request. */
export const itemsFlags = {
  ...pipelineFlags('table'),
  concurrency: commonFlags.concurrency,
  typed: Flags.boolean({description: 'Print items as DynamoDB-typed JSON ({"S": …}), as `upload` also accepts them.'}),
}

/** What `--all` warns of: a Scan reads every item, which AWS bills and the local emulator does not. */
export function scanNote(target: PipelineTarget): string {
  return `Scanning the whole table (${target.label}): every item is read${target.local ? '' : ' and billed'}.`
}
