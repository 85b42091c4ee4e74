import {isDeepStrictEqual} from 'node:util'

import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {normaliseRecord} from './normalise.js'

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/
/** Beyond this exponent a number is written in exponent form, so absurd exponents cannot make huge strings. */
const PLAIN_EXPONENT_LIMIT = 200

/**
 * A number's text in one form per value, as DynamoDB keeps numbers: "0234" and "234", "2.50" and "2.5", "1e2" and
 * "100", "-0" and "0" each give the same text. Undefined for text that is not a decimal number.
 */
export function canonicalNumber(text: string): string | undefined {
  const match = NUMBER.exec(text)
  if (!match) return undefined
  const [, sign, whole, fraction = '', exponentText = '0'] = match
  if (whole === '' && fraction === '') return undefined
  // The value is digits × 10^exponent, digits without leading or trailing zeros.
  let digits = (whole + fraction).replace(/^0+/, '')
  let exponent = Number(exponentText) - fraction.length
  const trailing = digits.length - digits.replace(/0+$/, '').length
  digits = digits.slice(0, digits.length - trailing)
  exponent += trailing
  if (digits === '') return '0'
  const negative = sign === '-' ? '-' : ''
  if (Math.abs(exponent) > PLAIN_EXPONENT_LIMIT) return `${negative}${digits}e${exponent}`
  if (exponent >= 0) return `${negative}${digits}${'0'.repeat(exponent)}`
  const point = digits.length + exponent
  return point > 0
    ? `${negative}${digits.slice(0, point)}.${digits.slice(point)}`
    : `${negative}0.${'0'.repeat(-point)}${digits}`
}

const metadataNames: ReadonlySet<string> = new Set(Object.values(ITEM_METADATA))

function sameValue(a: unknown, b: unknown): boolean {
  const x = a as {S?: unknown; N?: unknown; L?: unknown}
  const y = b as {S?: unknown; N?: unknown; L?: unknown}
  if (typeof x?.N === 'string' && typeof y?.N === 'string')
    return (canonicalNumber(x.N) ?? x.N) === (canonicalNumber(y.N) ?? y.N)
  if (Array.isArray(x?.L) && Array.isArray(y?.L))
    return x.L.length === y.L.length && x.L.every((element, i) => sameValue(element, (y.L as unknown[])[i]))
  // Strings byte for byte; any other shape (the schema admits none) exactly.
  return isDeepStrictEqual(a, b)
}

/**
 * Whether two records are the same record, as stored: compared in the canonical typed form (plain and typed input of
 * one record are the same), numbers by value, strings exactly, lists in order; an absent attribute differs from an
 * empty one. The pipeline's own metadata attributes are not part of the record and are ignored.
 */
export function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const typedA = normaliseRecord(a).item as Record<string, unknown>
  const typedB = normaliseRecord(b).item as Record<string, unknown>
  const names = (item: Record<string, unknown>) => Object.keys(item).filter((name) => !metadataNames.has(name))
  const namesA = names(typedA)
  const namesB = new Set(names(typedB))
  return (
    namesA.length === namesB.size && namesA.every((name) => namesB.has(name) && sameValue(typedA[name], typedB[name]))
  )
}
