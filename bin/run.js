#!/usr/bin/env node
import module from 'node:module'

import {runWithoutOclif} from '#cli/fast-path.js'

// Node 22+ keeps compiled code between runs; start-up is most of a short command's time.
module.enableCompileCache?.()

const args = process.argv.slice(2)
const exitCode = await runWithoutOclif(args)
if (exitCode === undefined) {
  // oclif's execute(), with our own last word on errors: failures of oclif's commands (help, autocomplete) are
  // reported in the same shapes as ours.
  const {flush, run} = await import('@oclif/core')
  await run(args, import.meta.url).then(
    () => flush(),
    async (error) => (await import('#cli/uncaught.js')).exitOnUncaught(error, args),
  )
} else {
  process.exitCode = exitCode
}
