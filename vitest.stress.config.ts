import {defineConfig} from 'vitest/config'

import base, {STRESS_TESTS} from './vitest.config.js'

/** `npm run test:stress`: only the long runs that `npm test` leaves out (STRESS_TESTS in vitest.config.ts). */
export default defineConfig({
  ...base,
  // Two at a time: each loads the machine on its own (hundreds of objects, killed processes).
  test: {...base.test, include: STRESS_TESTS, exclude: [], maxWorkers: 2},
})
