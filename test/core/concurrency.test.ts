import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {mapConcurrently} from '#core/concurrency.js'

/** Work that records how many calls run at once and which items started, each taking `delays[index]` ms. */
function tracked(delays: number[]) {
  let running = 0
  let most = 0
  const started: number[] = []
  const work = async (item: string, index: number) => {
    started.push(index)
    running++
    most = Math.max(most, running)
    await sleep(delays[index])
    running--
    return `${item}:${index}`
  }
  return {work, most: () => most, started}
}

const ITEMS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
// Later items finish first, so results in order prove they are put back in place.
const DELAYS = [35, 30, 25, 20, 15, 10, 5]
const RESULTS = ['a:0', 'b:1', 'c:2', 'd:3', 'e:4', 'f:5', 'g:6']

describe('mapConcurrently', () => {
  it('runs at most `limit` at once, every item once, results in the items’ order', async () => {
    const {work, most, started} = tracked(DELAYS)
    expect(await mapConcurrently(ITEMS, 3, work)).toEqual(RESULTS)
    expect(most()).toBe(3)
    expect(started.sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('takes the limit as an object too', async () => {
    const {work, most} = tracked(DELAYS)
    expect(await mapConcurrently(ITEMS, {limit: 2}, work)).toEqual(RESULTS)
    expect(most()).toBe(2)
  })

  it('runs one at a time with a limit of 1, or of 0 or less', async () => {
    for (const limit of [1, 0, -3]) {
      const {work, most, started} = tracked(DELAYS)
      expect(await mapConcurrently(ITEMS, limit, work), `limit ${limit}`).toEqual(RESULTS)
      expect(most(), `limit ${limit}`).toBe(1)
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6])
    }
  })

  it('runs all at once when the limit is above the count', async () => {
    const {work, most, started} = tracked(DELAYS)
    expect(await mapConcurrently(ITEMS, 50, work)).toEqual(RESULTS)
    expect(most()).toBe(7)
    expect(started).toHaveLength(7)
  })

  it('returns nothing for no items, without calling the work', async () => {
    let calls = 0
    const work = async () => {
      calls++
      return 1
    }
    expect(await mapConcurrently([], 4, work)).toEqual([])
    expect(await mapConcurrently([], {limit: 4, signal: new AbortController().signal}, work)).toEqual([])
    expect(calls).toBe(0)
  })

  it('passes each item with its index', async () => {
    const seen: Array<[string, number]> = []
    await mapConcurrently(['x', 'y', 'z'], 2, async (item, index) => {
      seen.push([item, index])
    })
    expect(seen.sort()).toEqual([
      ['x', 0],
      ['y', 1],
      ['z', 2],
    ])
  })

  it('once aborted, starts no new item, lets those under way finish and returns theirs, in order', async () => {
    const controller = new AbortController()
    const started: number[] = []
    const finished: number[] = []
    const results = await mapConcurrently(
      Array.from({length: 12}, (_, i) => i),
      {limit: 3, signal: controller.signal},
      async (item) => {
        started.push(item)
        if (item === 4) controller.abort()
        // Item 4 finishes first: the items started before it are still under way when it aborts.
        await sleep(item === 4 ? 1 : 20)
        finished.push(item)
        return item * 10
      },
    )
    expect(started).toEqual([0, 1, 2, 3, 4])
    expect(finished.sort()).toEqual([0, 1, 2, 3, 4])
    expect(results).toEqual([0, 10, 20, 30, 40])
  })

  it('starts nothing when the signal is aborted already', async () => {
    const controller = new AbortController()
    controller.abort()
    let calls = 0
    const results = await mapConcurrently(['a', 'b'], {limit: 2, signal: controller.signal}, async () => {
      calls++
      return 1
    })
    expect(results).toEqual([])
    expect(calls).toBe(0)
  })

  it('returns every result when the abort comes as the last item starts', async () => {
    const controller = new AbortController()
    const results = await mapConcurrently(['a', 'b', 'c'], {limit: 1, signal: controller.signal}, async (item) => {
      if (item === 'c') controller.abort()
      return item.toUpperCase()
    })
    expect(results).toEqual(['A', 'B', 'C'])
  })
})
