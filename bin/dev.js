#!/usr/bin/env node
// Runs the CLI from the TypeScript sources, without a build: `node --import tsx bin/dev.js ...` is not needed,
// oclif's development mode loads the compiled commands from dist after `npm run build`.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
