import {defineConfig} from 'vitest/config'

import base from './vitest.config.js'

/**
 * The tests Stryker runs against each mutant: those that call src/lib in-process (against the local emulators or SDK
 * mocks). Tests that drive the built CLI cover nothing it mutates; fault injection (single files and batches) is a
 * stress test, not a per-mutant check.
 */
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
]

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/processor/**/*.test.ts',
      'test/record/**/*.test.ts',
      'test/validate/record-check*.test.ts',
      'test/validate/same-key.test.ts',
      'test/quarantine/**/*.test.ts',
      'test/status/**/*.test.ts',
      'test/upload/**/*.test.ts',
      // In-process (an SDK mock) despite its folder: the look-up before sending.
      'test/cli/already-stored.test.ts',
      'test/deploy/empty-bucket.test.ts',
    ],
    exclude: EXCLUDED,
    reporters: ['default'],
    // Property tests run a tenth of their cases against each mutant.
    env: {...base.test?.env, PROPERTY_RUNS_SCALE: '0.1'},
    // Test files share one module graph (the SDK, the emulators' code) instead of loading it anew for each file, each
    // mutant: 40% less CPU. The files that mock modules or spy on shared objects keep a graph of their own.
    projects: [
      {extends: true, test: {name: 'shared', isolate: false, exclude: [...EXCLUDED, ...OWN_MODULES]}},
      {extends: true, test: {name: 'isolated', include: OWN_MODULES}},
    ],
  },
})
