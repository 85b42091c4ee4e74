import {createHash} from 'node:crypto'

import itemSchema from './item.schema.json' with {type: 'json'}

/**
 * A short digest of the item schema that the record check is compiled from: published by the stack (an output and the
 * processor's environment) and by `local start`, so that the CLI can tell when a pipeline checks records by another
 * schema than its own (`doctor`, and a warning from `upload`).
 */
export const ITEM_SCHEMA_HASH: string = createHash('sha256')
  .update(JSON.stringify(itemSchema))
  .digest('hex')
  .slice(0, 16)
