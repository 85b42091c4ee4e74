import {describe, expect, it} from 'vitest'

import {formatDuration, parseDuration} from '#core/duration.js'
import {CliError} from '#core/errors.js'

/** The usage error parseDuration throws for `text`, as the user sees it. */
function refusal(text: string, flag?: string): {message: string; hint?: string; exitCode: number; code: string} {
  try {
    parseDuration(text, flag)
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    const {message, hint, exitCode, code} = error as CliError
    return {message, hint, exitCode, code}
  }
  throw new Error(`parseDuration accepted ${JSON.stringify(text)}`)
}

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', 5400],
    ['1d2h3m4s', 93_784],
    ['10s', 10],
    ['0s', 0],
    ['  2m ', 120],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
    expect(parseDuration(text, '--timeout')).toBe(seconds)
  })

  it('tells a bare number its fix, the number with a unit, naming the flag', () => {
    expect(refusal('5', '--timeout')).toEqual({
      message: 'Not a duration: 5 (--timeout).',
      hint: 'Write it with a unit: --timeout 5s (units s, m, h, d, e.g. 15m or 1h30m).',
      exitCode: 2,
      code: 'UsageError',
    })
    expect(refusal('12', '--every').hint).toBe(
      'Write it with a unit: --every 12s (units s, m, h, d, e.g. 15m or 1h30m).',
    )
    expect(refusal(' 7 ', '--timeout')).toEqual({
      message: 'Not a duration:  7  (--timeout).',
      hint: 'Write it with a unit: --timeout 7s (units s, m, h, d, e.g. 15m or 1h30m).',
      exitCode: 2,
      code: 'UsageError',
    })
  })

  it('gives anything else with a flag the example 90s', () => {
    for (const text of ['soon', '5x', 'x5', '1.5h', ''])
      expect(refusal(text, '--stuck-after'), text).toEqual({
        message: `Not a duration: ${text} (--stuck-after).`,
        hint: 'Write it with a unit: --stuck-after 90s (units s, m, h, d, e.g. 15m or 1h30m).',
        exitCode: 2,
        code: 'UsageError',
      })
  })

  it('without a flag, says how durations are written', () => {
    for (const text of ['5', 'soon', ''])
      expect(refusal(text), text).toEqual({
        message: `Not a duration: ${text}`,
        hint: 'Write it like 90s, 15m, 2h or 1d.',
        exitCode: 2,
        code: 'UsageError',
      })
    expect(refusal('5', '')).toEqual({
      message: 'Not a duration: 5',
      hint: 'Write it like 90s, 15m, 2h or 1d.',
      exitCode: 2,
      code: 'UsageError',
    })
  })

  it('refuses units it does not know, text around a duration, and a unit without its number', () => {
    for (const text of ['5w', '5ms', 'x1h', '1hx', '1h x', 'h', '1h-30m', '-1h', '1H'])
      expect(() => parseDuration(text), text).toThrow(`Not a duration: ${text}`)
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [2, '2s'],
    [59, '59s'],
    [60, '1m'],
    [61, '1m1s'],
    [900, '15m'],
    [3599, '59m59s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [7260, '2h1m'],
    [86_399, '23h59m59s'],
    [86_400, '1d'],
    [93_784, '1d2h3m4s'],
    [172_800, '2d'],
    [59.6, '1m'],
    [89.4, '1m29s'],
    [0.4, '0s'],
  ])('writes %d seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })
})
