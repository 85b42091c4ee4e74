import {jsonPointer} from './source-position.js'
import type {TypedItem, TypedValue} from './typed-item.js'

/** A number in plain JSON that JavaScript cannot hold exactly, so the normaliser refuses to guess its digits. */
export interface InexactNumber {
  /** JSON pointer of the number in the record as written. */
  path: string
  /** How messages name it: the attribute, or a list element as Features[1]. */
  label: string
}

function scalarToTyped(value: unknown): unknown {
  if (typeof value === 'string') return {S: value}
  if (typeof value === 'number') return {N: String(value)}
  return value
}

function isInexact(value: unknown): boolean {
  return Number.isInteger(value) && !Number.isSafeInteger(value)
}

/**
 * The one conversion from plain JSON to the canonical DynamoDB-typed form, attribute by attribute:
 * a string becomes {"S"}, a number {"N"}, an array {"L"} of those; an object is taken as already typed.
 * Anything else is left as it is, for the schema to report. Own properties only, so `__proto__` stays data.
 */
export function normaliseRecord(record: Record<string, unknown>): {item: unknown; inexact: InexactNumber[]} {
  const inexact: InexactNumber[] = []
  // Typed records, the canonical form, pass through untouched: no copy on the hot path.
  if (Object.values(record).every((value) => value !== null && typeof value === 'object' && !Array.isArray(value)))
    return {item: record, inexact}
  const entries = Object.entries(record).map(([name, value]) => {
    if (isInexact(value)) inexact.push({path: jsonPointer(name), label: name})
    if (!Array.isArray(value)) return [name, scalarToTyped(value)]
    value.forEach(
      (element, index) =>
        isInexact(element) && inexact.push({path: jsonPointer(name, index), label: `${name}[${index}]`}),
    )
    return [name, {L: value.map(scalarToTyped)}]
  })
  return {item: Object.fromEntries(entries), inexact}
}

function valueToPlain(value: TypedValue): unknown {
  if ('S' in value) return value.S
  if ('N' in value) return Number(value.N)
  return value.L.map(valueToPlain)
}

/** The plain-JSON form of a typed item, for people to read (numbers become JSON numbers). */
export function toPlainRecord(item: TypedItem): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, valueToPlain(value)]))
}
