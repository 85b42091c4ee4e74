import {fileURLToPath} from 'node:url'

import {configDefaults, defineConfig} from 'vitest/config'

/**
 * The long runs, a minute or more each: stress tests (hundreds of objects with injected faults: failing AWS calls, lost
 * events, a pipeline killed under them), fault injection into `local start` (crashes, half-written objects, failing
 * emulators), and the two whole journeys from a packed install (the README line by line, `npm install -g`). Every
 * guarantee they check stays tested, by `npm run test:stress`, which CI runs after `npm test`.
 */
export const STRESS_TESTS = [
  'test/processor/fault-injection.test.ts',
  'test/processor/batch-faults.test.ts',
  'test/local/crash-loop.test.ts',
  'test/local/crash.test.ts',
  'test/local/sweep.test.ts',
  'test/cli/interrupted-upload.test.ts',
  'test/readme/readme.test.ts',
  'test/package/pack-install.test.ts',
]

export default defineConfig({
  resolve: {
    // package.json maps '#...' to the compiled dist/src/lib; the tests run the TypeScript sources themselves.
    alias: [{find: /^#(.*)$/, replacement: fileURLToPath(new URL('src/lib/$1', import.meta.url))}],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The long runs: `npm run test:stress` (vitest.stress.config.ts), which CI runs too.
    exclude: [...configDefaults.exclude, ...STRESS_TESTS],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three test files at a time on two cores: a test spends much of its time waiting (on emulators, CLI processes, an
    // outcome to settle), and with two files at a time the run kept the cores only 57% busy (8 December: 728 CPU-s in
    // 634 s). Every file has its own ports (0: any free one), XDG homes and TMPDIR.
    maxWorkers: 3,
    minWorkers: 1,
    // vitest 3 fails the run ("Timeout calling onTaskUpdate", even when every test passed) when a worker misses its
    // messages for 60 s, hard-coded: no test may block its worker that long (an execFileSync of `npm install` did
    // under load; test/package/pack-install.test.ts). The longest blocks left are a CDK synth's first in a process
    // (stack, flows and nag tests): 15-37 s at load averages of 7-20 on two cores, over 60 s only at some 25.
    // Each file's own TMPDIR, removed at its end: a file that leaves anything in it fails (test/helpers/file-tmpdir.ts).
    globalSetup: ['./test/helpers/tmp-root.ts'],
    setupFiles: ['./test/helpers/file-tmpdir.ts'],
    // The SDK's Node 20 support notice, once per test process, says nothing about the code under test.
    env: {AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'},
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
