import {defineConfig} from 'vitest/config'

import base, {STRESS_TESTS} from './vitest.config.js'

/** `npm run test:stress`: only the long runs that `npm test` leaves out (STRESS_TESTS in vitest.config.ts). */
export default defineConfig({
  ...base,
  test: {...base.test, include: STRESS_TESTS, exclude: []},
})
