// Mutation testing (StrykerJS 9, the newest major that runs on Node 20): `npm run test:mutation` (scripts/mutation-gate.mjs
// runs Stryker module by module, each with its baseline in mutation-baseline/), or one module with
// `npm run test:mutation -- record`. Reports go to reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'src/lib/processor/**/*.ts',
    'src/lib/record/**/*.ts',
    'src/lib/quarantine/**/*.ts',
    'src/lib/upload/**/*.ts',
    'src/lib/status/**/*.ts',
    'src/lib/validate/same-key.ts',
    'src/lib/deploy/empty-bucket.ts',
    'src/lib/items/**/*.ts',
    'src/lib/dead-letters/**/*.ts',
    'src/lib/sweep/**/*.ts',
    'src/lib/core/**/*.ts',
    'src/lib/contract/**/*.ts',
    'src/lib/selftest/**/*.ts',
    'src/lib/doctor/**/*.ts',
    'src/lib/files/**/*.ts',
    'src/lib/target/**/*.ts',
    'src/lib/demo/**/*.ts',
    'src/lib/aws/**/*.ts',
  ],
  testRunner: 'vitest',
  // Each module's own in-process tests (vitest.mutation.config.ts): the ones that drive the built CLI cover nothing
  // Stryker mutates.
  vitest: {configFile: 'vitest.mutation.config.ts', related: true},
  // No TypeScript checker: on this 2-core machine it cost ~9 s a mutant (empty-bucket.ts: 7 min 39 s with it, 15 s
  // without). Vitest strips types, so a mutant that would not compile still runs and counts: a stricter score.
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would rerun every test for each: reported as ignored instead.
  ignoreStatic: true,
  concurrency: 2,
  // The local emulators start in each test file; a loaded machine needs room.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  // A module's initial test run takes seconds to two minutes on two idle cores (Stryker's default limit is 5): room
  // for a loaded machine.
  dryRunTimeoutMinutes: 15,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: {fileName: 'reports/mutation/index.html'},
  jsonReporter: {fileName: 'reports/mutation/mutation.json'},
  incremental: true,
  // A plain `npx stryker run` keeps its results here; the gate gives each module its own file in mutation-baseline/.
  incrementalFile: 'reports/stryker-incremental.json',
  // The gate holds each module to its own floor (scripts/mutation-gate.mjs), not Stryker's one threshold.
  thresholds: {high: 85, low: 70, break: null},
  ignorePatterns: ['dist', 'reports', 'coverage', '.bench-tmp', '*.tgz', 'mutation-baseline'],
}
