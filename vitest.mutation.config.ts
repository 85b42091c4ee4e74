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

/** Files that mock modules (vi.mock) or spy on shared objects: each needs a module graph of its own. */
const OWN_MODULES = [
  // SDK mocks (aws-sdk-client-mock replaces the clients' send), vi.mock and vi.stubEnv.
  'test/dead-letters/queues.test.ts',
  'test/dead-letters/queue-requests.test.ts',
  'test/dead-letters/local-file.test.ts',
  'test/sweep/aws.test.ts',
  'test/sweep/sweep-report.test.ts',
  'test/processor/batch-record-limit.test.ts',
  'test/processor/lambda-wiring.test.ts',
  'test/record/batch-limits.test.ts',
  'test/quarantine/act-on-entries.test.ts',
  'test/core/interrupt.test.ts',
  'test/core/package-root.test.ts',
  'test/core/retry-delays.test.ts',
  'test/selftest/aws.test.ts',
  'test/selftest/notification-sources.test.ts',
  'test/doctor/aws-checks.test.ts',
]

/** The module's tests; with no module named (a plain `npx stryker run`), those of every module Stryker mutates. */
const prefixes = process.env.MUTATION_MODULE
  ? moduleTests(process.env.MUTATION_MODULE)
  : [...new Set([...modulePatterns(stryker.mutate).keys()].flatMap(moduleTests))]
const own = OWN_MODULES.filter((file) => prefixes.some((prefix) => file.startsWith(prefix)))

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
      {extends: true, test: {name: 'shared', isolate: false, include: prefixes.map(asGlob), exclude: OWN_MODULES}},
      ...(own.length > 0 ? [{extends: true, test: {name: 'isolated'}}] : []),
    ],
  },
})
