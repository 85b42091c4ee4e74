import {describe, expect, it} from 'vitest'

import {retryTransient} from '#core/retry.js'

const transient = (n: number) => Object.assign(new Error(`throttled ${n}`), {name: 'ThrottlingException'})
const permanent = () => Object.assign(new Error('denied'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}})

/** A call that fails with the given errors in turn, then returns 'done'; counts its calls. */
function failing(errors: Error[]) {
  let calls = 0
  const call = async () => {
    calls++
    if (calls <= errors.length) throw errors[calls - 1]
    return 'done'
  }
  return {call, calls: () => calls}
}

describe('retryTransient', () => {
  it('returns the first answer without calling again', async () => {
    const {call, calls} = failing([])
    expect(await retryTransient(call, {delayMs: 1})).toBe('done')
    expect(calls()).toBe(1)
  })

  it('calls again after transient failures and returns the answer', async () => {
    const {call, calls} = failing([transient(1), transient(2)])
    expect(await retryTransient(call, {attempts: 3, delayMs: 1})).toBe('done')
    expect(calls()).toBe(3)
  })

  it('makes `attempts` calls in all, then rejects with the last error', async () => {
    const errors = [transient(1), transient(2), transient(3), transient(4)]
    const {call, calls} = failing(errors)
    await expect(retryTransient(call, {attempts: 3, delayMs: 1})).rejects.toBe(errors[2])
    expect(calls()).toBe(3)
  })

  it('makes 4 calls by default', async () => {
    const errors = [1, 2, 3, 4, 5].map(transient)
    const {call, calls} = failing(errors)
    await expect(retryTransient(call, {delayMs: 1})).rejects.toBe(errors[3])
    expect(calls()).toBe(4)
  })

  it('makes one call when attempts is 1', async () => {
    const errors = [transient(1)]
    const {call, calls} = failing(errors)
    await expect(retryTransient(call, {attempts: 1, delayMs: 1})).rejects.toBe(errors[0])
    expect(calls()).toBe(1)
  })

  it('rejects at once on an error that is not transient', async () => {
    const error = permanent()
    const {call, calls} = failing([error])
    await expect(retryTransient(call, {attempts: 4, delayMs: 1})).rejects.toBe(error)
    expect(calls()).toBe(1)
  })

  it('stops at the first error that is not transient, after transient ones', async () => {
    const errors = [transient(1), permanent(), transient(3)]
    const {call, calls} = failing(errors)
    await expect(retryTransient(call, {attempts: 4, delayMs: 1})).rejects.toBe(errors[1])
    expect(calls()).toBe(2)
  })
})
