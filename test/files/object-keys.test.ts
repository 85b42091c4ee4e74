import {expect, it} from 'vitest'

import {keyProblem} from '#files/object-keys.js'

// The other keys refused and accepted: test/aws/errors-and-keys.test.ts.
it('refuses an empty key', () => {
  expect(keyProblem('')).toBe('the key is empty')
})
