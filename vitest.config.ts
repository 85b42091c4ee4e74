import {fileURLToPath} from 'node:url'

import {configDefaults, defineConfig} from 'vitest/config'

/** Stress tests: hundreds of objects with injected faults, minutes each; every guarantee they check stays tested. */
export const STRESS_TESTS = ['test/processor/fault-injection.test.ts', 'test/processor/batch-faults.test.ts']

export default defineConfig({
  resolve: {
    // package.json maps '#...' to the compiled dist/src/lib; the tests run the TypeScript sources themselves.
    alias: [{find: /^#(.*)$/, replacement: fileURLToPath(new URL('src/lib/$1', import.meta.url))}],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The long fault-injection runs: `npm run test:stress` (vitest.stress.config.ts), which CI runs too.
    exclude: [...configDefaults.exclude, ...STRESS_TESTS],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file's own TMPDIR, removed at its end: a file that leaves anything in it fails (test/helpers/file-tmpdir.ts).
    globalSetup: ['./test/helpers/tmp-root.ts'],
    setupFiles: ['./test/helpers/file-tmpdir.ts'],
    // The SDK's Node 20 support notice, once per test process, says nothing about the code under test.
    env: {AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'},
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
