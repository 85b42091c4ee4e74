#!/usr/bin/env node
import module from 'node:module'

import {runWithoutOclif} from '#cli/fast-path.js'

// Node 22+ keeps compiled code between runs; start-up is most of a short command's time.
module.enableCompileCache?.()

const exitCode = await runWithoutOclif(process.argv.slice(2))
if (exitCode === undefined) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else {
  process.exitCode = exitCode
}
