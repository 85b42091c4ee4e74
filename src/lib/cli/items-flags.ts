import {Flags} from '@oclif/core'

import {commonFlags} from './common-flags.js'
import {pipelineFlags} from './pipeline-flags.js'

/** Flags of the `items` commands: the pipeline target (as the uploader role), and the typed form on request. */
export const itemsFlags = {
  ...pipelineFlags('table'),
  concurrency: commonFlags.concurrency,
  typed: Flags.boolean({description: 'Print items as DynamoDB-typed JSON ({"S": …}), as `upload` also accepts them.'}),
}
