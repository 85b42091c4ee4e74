import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {defineConfig} from 'vitest/config'

import {modulePatterns} from './scripts/mutation-gate.mjs'
import stryker from './stryker.config.mjs'
import base from './vitest.config.js'

/**
 * The tests Stryker runs against each mutant: each module is judged by its own in-process tests (against the local
 * emulators or SDK mocks), those of its test folder and the few listed beside it. Tests that drive the built CLI cover
 * nothing it mutates; the processor's tests, which pass records through the record check, do not count for the record
 * check: its own tests must guard it. scripts/mutation-gate.mjs names the module (MUTATION_MODULE).
 */
export const MODULE_TESTS: Record<string, string[]> = {
  record: ['test/record/', 'test/validate/record-check'],
  validate: ['test/validate/same-key'],
  upload: ['test/upload/', 'test/cli/already-stored'],
  deploy: ['test/deploy/empty-bucket'],
  contract: ['test/contract/', 'test/deploy/settings'],
  files: ['test/files/', 'test/aws/errors-and-keys'],
}

/** A module's tests, as prefixes of their paths: a folder (ending in /) or the start of file names. */
export const moduleTests = (module: string): string[] => MODULE_TESTS[module] ?? [`test/${module}/`]

const asGlob = (prefix: string) => (prefix.endsWith('/') ? `${prefix}**/*.test.ts` : `${prefix}*.test.ts`)

/** Stress tests and the built bundle's test: not per-mutant checks. */
const EXCLUDED = [
  'test/processor/fault-injection.test.ts',
  'test/processor/batch-faults.test.ts',
  'test/processor/lambda-bundle.test.ts',
]

/**
 * What makes a test file unfit to share its module graph with others: it mocks modules, stubs the environment or
 * globals, spies on shared objects, patches every SDK client of a kind (aws-sdk-client-mock), or sets process.env
 * (directly, or through the helpers mockDeployedStack and stubAwsEnv).
 */
const CHANGES_SHARED_STATE =
  /vi\.(mock|doMock|stubEnv|stubGlobal|spyOn|useFakeTimers)\(|mockClient\(|mockDeployedStack\(|stubAwsEnv\(|process\.env\.\w+ *=[^=]|delete process\.env|process\.chdir/

/** The test files that each need a module graph of their own (CHANGES_SHARED_STATE), found by reading them. */
export function isolatedTestFiles(root = fileURLToPath(new URL('.', import.meta.url))): string[] {
  return readdirSync(join(root, 'test'), {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => `test/${file.split('\\').join('/')}`)
    .filter((file) => CHANGES_SHARED_STATE.test(readFileSync(join(root, file), 'utf8')))
    .sort()
}

/** The module's tests; with no module named (a plain `npx stryker run`), those of every module Stryker mutates. */
const prefixes = process.env.MUTATION_MODULE
  ? moduleTests(process.env.MUTATION_MODULE)
  : [...new Set([...modulePatterns(stryker.mutate).keys()].flatMap(moduleTests))]
const isolated = isolatedTestFiles()
const own = isolated.filter((file) => prefixes.some((prefix) => file.startsWith(prefix)))

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // A project that extends this configuration adds its include list to this one's (vitest merges the lists): so this
    // one names only the files of the isolated project, and the shared project adds the rest, less those.
    include: own,
    exclude: EXCLUDED,
    reporters: ['default'],
    // Property tests run a tenth of their cases against each mutant.
    env: {...base.test?.env, PROPERTY_RUNS_SCALE: '0.1'},
    // Test files share one module graph (the SDK, the emulators' code) instead of loading it anew for each file, each
    // mutant: 40% less CPU. The files that mock modules or spy on shared objects keep a graph of their own.
    projects: [
      {extends: true, test: {name: 'shared', isolate: false, include: prefixes.map(asGlob), exclude: isolated}},
      ...(own.length > 0 ? [{extends: true, test: {name: 'isolated'}}] : []),
    ],
  },
})
