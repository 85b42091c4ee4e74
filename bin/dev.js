#!/usr/bin/env node
// Development entry point: always goes through oclif (bin/run.js serves plain `validate` runs without it),
// in oclif's development mode, which shows full stack traces. Run `npm run build` first.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
