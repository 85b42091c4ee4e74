import {describe, expect, it} from 'vitest'

import {mapConcurrently} from '#core/concurrency.js'
import {interruptible} from '#core/interrupt.js'

describe('Ctrl-C during long work', () => {
  it('stops starting items once aborted, lets those under way finish, and returns theirs in order', async () => {
    const controller = new AbortController()
    const started: number[] = []
    const results = await mapConcurrently(
      Array.from({length: 20}, (_, i) => i),
      {limit: 3, signal: controller.signal},
      async (item) => {
        started.push(item)
        if (item === 4) controller.abort()
        await new Promise((resolve) => setTimeout(resolve, 5))
        return item * 10
      },
    )
    expect(started).toEqual([0, 1, 2, 3, 4])
    expect(results).toEqual([0, 10, 20, 30, 40])
  })

  it('turns SIGINT into an aborted signal while the work runs, and stops listening after', async () => {
    const listeners = process.listenerCount('SIGINT')
    const aborted = await interruptible(async (signal) => {
      process.kill(process.pid, 'SIGINT')
      await new Promise((resolve) => signal.addEventListener('abort', resolve, {once: true}))
      return signal.aborted
    })
    expect(aborted).toBe(true)
    expect(process.listenerCount('SIGINT')).toBe(listeners)
  })
})
