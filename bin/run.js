#!/usr/bin/env node
import {isPlainValidate, runPlainValidate} from '../dist/src/lib/validate-fast-path.js'

const args = process.argv.slice(2)
if (isPlainValidate(args)) {
  process.exitCode = await runPlainValidate(args)
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
