import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {canonicalNumber, sameRecord} from '#record/same-record.js'

describe('canonicalNumber', () => {
  it.each([
    ['0234', '234'],
    ['234', '234'],
    ['2.50', '2.5'],
    ['1e2', '100'],
    ['1E+2', '100'],
    ['100.000', '100'],
    ['-0', '0'],
    ['0.0', '0'],
    ['-0e5', '0'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['-1.5e-3', '-0.0015'],
    ['+7', '7'],
    ['12345e-2', '123.45'],
    ['1e300', '1e300'],
    ['10e299', '1e300'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalNumber(text)).toBe(canonical)
  })

  it.each(['', '.', '-', 'abc', '1e', '1..2', '0x10', ' 1', 'Infinity', 'NaN'])('%j is not a number', (text) => {
    expect(canonicalNumber(text)).toBeUndefined()
  })

  // A decimal written as an integer scaled by a power of ten, in one of the ways people and programs write it.
  const written = fc
    .record({
      value: fc.bigInt({min: -(10n ** 40n), max: 10n ** 40n}),
      scale: fc.integer({min: 0, max: 45}),
      leadingZeros: fc.nat(3),
      trailingZeros: fc.nat(3),
      exponentShift: fc.integer({min: -5, max: 5}),
    })
    .map(({value, scale, leadingZeros, trailingZeros, exponentShift}) => {
      // value / 10^scale, written with extra zeros on both sides and the point moved into an exponent.
      const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0')
      const whole = '0'.repeat(leadingZeros) + digits.slice(0, digits.length - scale)
      const fraction = digits.slice(digits.length - scale) + '0'.repeat(trailingZeros)
      const mantissa = `${value < 0n ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
      // Shifting the point left by k and writing e+k keeps the value.
      const shifted =
        exponentShift > 0 && whole.length > exponentShift
          ? `${value < 0n ? '-' : ''}${whole.slice(0, -exponentShift)}.${whole.slice(-exponentShift)}${fraction}e${exponentShift}`
          : mantissa
      return {value, scale, text: shifted}
    })

  it('gives equal text exactly for equal values (checked by cross-multiplying the integers)', () => {
    fc.assert(
      fc.property(written, written, (a, b) => {
        const equal = a.value * 10n ** BigInt(b.scale) === b.value * 10n ** BigInt(a.scale)
        expect(canonicalNumber(a.text) === canonicalNumber(b.text)).toBe(equal)
      }),
      {numRuns: 3000},
    )
  })

  it('writes an integer as its decimal digits, however it was written', () => {
    fc.assert(
      fc.property(written, (a) => {
        fc.pre(a.scale === 0)
        expect(canonicalNumber(a.text)).toBe(a.value.toString())
      }),
    )
  })

  it('agrees with JavaScript on which doubles are equal', () => {
    const double = fc.double({noNaN: true, noDefaultInfinity: true})
    fc.assert(
      fc.property(double, double, (x, y) => {
        expect(canonicalNumber(String(x)) === canonicalNumber(String(y))).toBe(x === y)
        expect(Number(canonicalNumber(String(x)))).toBe(x === 0 ? 0 : x)
      }),
      {numRuns: 3000},
    )
  })
})

describe('sameRecord', () => {
  const plain = {
    ArtistID: 'Skrillex',
    ItemID: 'TRACK#Rumble',
    EntityType: 'Track',
    Duration: 187,
    Features: ['Fred again..', 'Flowdan'],
  }
  const typed = {
    ArtistID: {S: 'Skrillex'},
    ItemID: {S: 'TRACK#Rumble'},
    EntityType: {S: 'Track'},
    Duration: {N: '187'},
    Features: {L: [{S: 'Fred again..'}, {S: 'Flowdan'}]},
  }
  const stored = {
    ...typed,
    [ITEM_METADATA.sourceKey]: {S: 'valid/skrillex-rumble.json'},
    [ITEM_METADATA.sourceEtag]: {S: 'abc'},
    [ITEM_METADATA.sourceSequencer]: {S: '00AA'},
    [ITEM_METADATA.ingestedAt]: {S: '2026-11-28T00:00:00.000Z'},
  }

  it('finds plain and typed input of one record the same, and the stored item (metadata ignored) too', () => {
    expect(sameRecord(plain, typed)).toBe(true)
    expect(sameRecord(typed, plain)).toBe(true)
    expect(sameRecord(stored, plain)).toBe(true)
    expect(sameRecord(stored, typed)).toBe(true)
  })

  it('compares numbers by value', () => {
    expect(sameRecord(typed, {...typed, Duration: {N: '0187'}})).toBe(true)
    expect(sameRecord(typed, {...typed, Duration: {N: '1.87e2'}})).toBe(true)
    expect(sameRecord({Rating: {N: '2.50'}}, {Rating: 2.5})).toBe(true)
    expect(sameRecord({Delta: {N: '-0'}}, {Delta: 0})).toBe(true)
    expect(sameRecord(typed, {...typed, Duration: {N: '188'}})).toBe(false)
  })

  it('compares strings byte for byte, and a number never equals a string', () => {
    expect(sameRecord(typed, {...typed, EntityType: {S: 'track'}})).toBe(false)
    expect(sameRecord(typed, {...typed, EntityType: {S: 'Track '}})).toBe(false)
    expect(sameRecord({Title: {S: 'é'}}, {Title: {S: 'e\u0301'}})).toBe(false)
    expect(sameRecord(typed, {...typed, Duration: {S: '187'}})).toBe(false)
  })

  it('compares lists in order: a reordered Features list is different', () => {
    expect(sameRecord(plain, {...plain, Features: ['Flowdan', 'Fred again..']})).toBe(false)
    expect(sameRecord(plain, {...plain, Features: ['Fred again..']})).toBe(false)
    expect(sameRecord({Scores: [1, 20]}, {Scores: {L: [{N: '01'}, {N: '2e1'}]}})).toBe(true)
    expect(sameRecord({Scores: [1, 20]}, {Scores: {L: [{N: '20'}, {N: '1'}]}})).toBe(false)
  })

  it('tells an absent attribute from an empty one', () => {
    const {Features: _features, ...withoutFeatures} = plain
    expect(sameRecord(withoutFeatures, {...withoutFeatures, Features: []})).toBe(false)
    expect(sameRecord(withoutFeatures, plain)).toBe(false)
    expect(sameRecord({...withoutFeatures, Title: ''}, withoutFeatures)).toBe(false)
  })

  // Records as the schema admits them, plain.
  const text = fc.string({maxLength: 12})
  const record = fc.record(
    {
      ArtistID: fc.string({minLength: 1, maxLength: 12}),
      ItemID: text.map((title) => `TRACK#${title}`),
      Title: text,
      Duration: fc.nat(100_000),
      Year: fc.integer({min: 1000, max: 9999}),
      Features: fc.array(text, {maxLength: 4}),
    },
    {requiredKeys: ['ArtistID', 'ItemID']},
  )
  type Plain = Record<string, string | number | string[]>

  /** The same record written differently: typed, numbers with leading zeros or in exponent form, metadata added. */
  const rewritten = (value: Plain, style: number): Record<string, unknown> => {
    const number = (n: number) => [`${n}`, `000${n}`, `${n}.000`, `${n}0e-1`][style % 4]
    const typed = Object.fromEntries(
      Object.entries(value).map(([name, v]) => [
        name,
        typeof v === 'number' ? {N: number(v)} : Array.isArray(v) ? {L: v.map((s) => ({S: s}))} : {S: v},
      ]),
    )
    return style % 2 ? {...typed, [ITEM_METADATA.sourceKey]: {S: 'k'}, [ITEM_METADATA.ingestedAt]: {S: 'now'}} : typed
  }

  it('finds a record the same as itself rewritten in any of the ways that keep its values', () => {
    fc.assert(
      fc.property(record, fc.nat(7), (value, style) => {
        expect(sameRecord(value, rewritten(value, style))).toBe(true)
        expect(sameRecord(rewritten(value, style), value)).toBe(true)
      }),
      {numRuns: 1000},
    )
  })

  it('finds a record different once any one attribute value changes, is added or is removed', () => {
    const change = (value: Plain, name: string): Plain => {
      const v = value[name]
      if (typeof v === 'number') return {...value, [name]: v + 1}
      if (Array.isArray(v))
        return {...value, [name]: v.length > 1 && v[0] !== v[1] ? [v[1], v[0], ...v.slice(2)] : [...v, 'x']}
      return {...value, [name]: `${v}x`}
    }
    fc.assert(
      fc.property(record, fc.nat(7), fc.nat(), (value, style, pick) => {
        const names = Object.keys(value)
        const name = names[pick % names.length]
        expect(sameRecord(change(value, name), rewritten(value, style))).toBe(false)
        const {[name]: _removed, ...without} = value
        expect(sameRecord(without, rewritten(value, style))).toBe(false)
        expect(sameRecord({...value, Extra: ''}, rewritten(value, style))).toBe(false)
      }),
      {numRuns: 1000},
    )
  })
})
