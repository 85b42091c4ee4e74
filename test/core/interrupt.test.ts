import {afterEach, beforeEach, describe, expect, it, type MockInstance, vi} from 'vitest'

import {interruptible} from '#core/interrupt.js'

const STOPPING = '\nStopping once the steps under way are done (Ctrl-C again: at once).\n'

/** Runs `body` with stderr seen as a terminal or not, and returns what was written to it. */
async function withStderr(isTTY: boolean, body: () => Promise<void>): Promise<string> {
  const saved = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY')
  Object.defineProperty(process.stderr, 'isTTY', {value: isTTY, configurable: true, writable: true})
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  try {
    await body()
    return write.mock.calls.map(([chunk]) => String(chunk)).join('')
  } finally {
    write.mockRestore()
    if (saved) Object.defineProperty(process.stderr, 'isTTY', saved)
    else delete (process.stderr as {isTTY?: boolean}).isTTY
  }
}

describe('interruptible', () => {
  // process.exit is replaced before any SIGINT in every test: the real one is never called, even by a mutant.
  let exit: MockInstance<typeof process.exit>
  beforeEach(() => {
    exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    expect(vi.isMockFunction(process.exit)).toBe(true)
  })
  afterEach(() => {
    expect(vi.isMockFunction(process.exit)).toBe(true)
    vi.restoreAllMocks()
  })

  it('returns what the work returns, listening for SIGINT only while it runs', async () => {
    const before = process.listenerCount('SIGINT')
    let during = -1
    const result = await interruptible(async (signal) => {
      during = process.listenerCount('SIGINT')
      expect(signal.aborted).toBe(false)
      return 'done'
    })
    expect(result).toBe('done')
    expect(during).toBe(before + 1)
    expect(process.listenerCount('SIGINT')).toBe(before)
  })

  it('stops listening when the work fails too', async () => {
    const before = process.listenerCount('SIGINT')
    await expect(
      interruptible(async () => {
        throw new Error('failed')
      }),
    ).rejects.toThrow('failed')
    expect(process.listenerCount('SIGINT')).toBe(before)
  })

  it('aborts the signal at the first SIGINT, and says so on a terminal', async () => {
    const written = await withStderr(true, async () => {
      const aborted = await interruptible(async (signal) => {
        process.emit('SIGINT')
        return signal.aborted
      })
      expect(aborted).toBe(true)
    })
    expect(written).toBe(STOPPING)
    expect(exit).not.toHaveBeenCalled()
  })

  it('says nothing when stderr is not a terminal', async () => {
    const written = await withStderr(false, async () => {
      expect(await interruptible(async (signal) => (process.emit('SIGINT'), signal.aborted))).toBe(true)
    })
    expect(written).toBe('')
    expect(exit).not.toHaveBeenCalled()
  })

  it('does not abort before a SIGINT, nor after the work ended', async () => {
    let kept: AbortSignal | undefined
    await interruptible(async (signal) => {
      kept = signal
    })
    // Another listener keeps this SIGINT from ending the test process.
    const keepAlive = () => {}
    process.on('SIGINT', keepAlive)
    try {
      process.emit('SIGINT')
    } finally {
      process.off('SIGINT', keepAlive)
    }
    expect(kept?.aborted).toBe(false)
    expect(exit).not.toHaveBeenCalled()
  })

  it('exits at once with 130 at a second SIGINT', async () => {
    await withStderr(false, async () => {
      await interruptible(async (signal) => {
        process.emit('SIGINT')
        expect(exit).not.toHaveBeenCalled()
        expect(signal.aborted).toBe(true)
        process.emit('SIGINT')
      })
    })
    expect(exit).toHaveBeenCalledTimes(1)
    expect(exit).toHaveBeenCalledWith(130)
  })
})
