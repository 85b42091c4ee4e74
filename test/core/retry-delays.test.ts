import {beforeEach, describe, expect, it, vi} from 'vitest'

import {retryTransient} from '#core/retry.js'

/** The waits retryTransient asks for, each at once, so that the test reads them exactly. */
const waits = vi.hoisted(() => [] as number[])
vi.mock('node:timers/promises', () => ({
  setTimeout: async (ms: number) => {
    waits.push(ms)
  },
}))

const throttled = () => Object.assign(new Error('slow down'), {name: 'SlowDown'})

describe('retryTransient waits', () => {
  beforeEach(() => {
    waits.length = 0
  })

  it('200 ms, then twice as long each time, by default', async () => {
    await expect(
      retryTransient(async () => {
        throw throttled()
      }),
    ).rejects.toThrow('slow down')
    expect(waits).toEqual([200, 400, 800])
  })

  it('from delayMs, doubling, and not after the last call', async () => {
    await expect(
      retryTransient(
        async () => {
          throw throttled()
        },
        {attempts: 5, delayMs: 3},
      ),
    ).rejects.toThrow('slow down')
    expect(waits).toEqual([3, 6, 12, 24])
  })

  it('not at all after a success', async () => {
    expect(await retryTransient(async () => 7, {delayMs: 3})).toBe(7)
    expect(waits).toEqual([])
  })
})
