import type {ErrorObject} from 'ajv'

import itemSchema from '../schema/item.schema.json' with {type: 'json'}
import {jsonPointer} from './source-position.js'

/** What each definition in the schema expects, in the words of its x-expected. */
const definitions = itemSchema.definitions as Record<string, {'x-expected': string}>
const ALLOWED_ATTRIBUTES = Object.keys(itemSchema.properties)

/** The definition an attribute refers to, e.g. Features → stringList. */
const definitionOf = (attribute: string): string =>
  (itemSchema.properties as Record<string, {$ref: string}>)[attribute].$ref.split('/').pop()!

export interface SchemaProblem {
  /** JSON pointer into the record as the user wrote it (plain or typed). */
  path: string
  message: string
  /** Point at the attribute's name rather than its value (for attributes that should not be there at all). */
  atName?: boolean
}

const ownValue = (container: unknown, key: string | number): unknown =>
  container !== null && typeof container === 'object' && Object.hasOwn(container, key)
    ? (container as Record<string, unknown>)[key]
    : undefined

/**
 * How a record is written: typed (DynamoDB JSON, {"S": …}) when any attribute is an object, plain JSON otherwise.
 * Messages advise in the record's own form.
 */
export type RecordForm = 'typed' | 'plain'

export function formOf(record: unknown): RecordForm {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return 'typed'
  const typedValue = (value: unknown) => value !== null && typeof value === 'object' && !Array.isArray(value)
  return Object.values(record).some(typedValue) ? 'typed' : 'plain'
}

/**
 * A schema expectation (x-expected, written for typed records) as a plain record writes it:
 * {"S": "Track"} is "Track", {"N": "234"} is 234, {"L": [{"S": "<name>"}]} is ["<name>"], {"S": string} a text.
 */
export const plainExpectation = (expected: string): string =>
  expected
    .replaceAll(/\{"S": ("[^"]*")\}/g, '$1')
    .replaceAll('{"S": string}', 'a text')
    .replaceAll(/\{"N": "([^"]*)"\}/g, '$1')
    .replaceAll(/\{"L": (\[[^\]]*\])\}/g, '$1')

const inForm = (expected: string, form: RecordForm): string =>
  form === 'plain' ? plainExpectation(expected) : expected

/**
 * A short description of a value for messages: what it is, and a glimpse of it. A string or number in a typed record
 * is "bare" (it lacks its type key); in a plain record it is just the value.
 */
export function describeValue(value: unknown, form: RecordForm = 'typed'): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    const glimpse = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    return form === 'typed' ? `a bare string ${glimpse}` : glimpse
  }
  if (typeof value === 'number') return form === 'typed' ? `a bare number ${value}` : `${value}`
  if (typeof value === 'boolean') return `${value}`
  if (Array.isArray(value)) return `a list of ${value.length}`
  const keys = Object.keys(value)
  if (keys.length === 0) return 'an empty object {}'
  if (keys.length > 1)
    return `an object with ${keys.length} keys (${keys.slice(0, 4).join(', ')}); give exactly one type key`
  const inner = (value as Record<string, unknown>)[keys[0]]
  const glimpse =
    typeof inner === 'string' || typeof inner === 'number'
      ? JSON.stringify(inner)
      : Array.isArray(inner)
        ? '[…]'
        : '{…}'
  return `{"${keys[0]}": ${glimpse.length > 44 ? `${glimpse.slice(0, 44)}…` : glimpse}}`
}

/**
 * Translates a typed-form pointer (/Features/L/1, /Duration/N) into the record as written: a plain attribute has no
 * type key, so /Duration/N is /Duration there and /Features/L/1 is /Features/1.
 */
function writtenPath(
  record: Record<string, unknown>,
  typedSegments: string[],
): {path: string; value: unknown; label: string} {
  const [attribute, typeKey, index] = typedSegments
  const written = ownValue(record, attribute)
  const typed = written !== null && typeof written === 'object' && !Array.isArray(written)
  const list = typed ? ownValue(written, 'L') : written
  if (typeKey === 'L' && index !== undefined) {
    const element = ownValue(list, Number(index))
    const path = typed ? `/${attribute}/L/${index}` : `/${attribute}/${index}`
    return {
      path: typedSegments.length > 3 && typed ? `${path}/${typedSegments[3]}` : path,
      value: element,
      label: `${attribute}[${index}]`,
    }
  }
  // The only keys inside a typed value that the schema looks into are its type keys (S, N, L).
  const inner = typed && typeKey !== undefined ? `/${typeKey}` : ''
  return {path: `/${attribute}${inner}`, value: written, label: attribute}
}

/**
 * What the value in error must look like: the definition its schemaPath names, or else the attribute's own (a
 * definition that refers to another, as stringList does, is compiled on its own, its schemaPath relative to itself).
 */
function expectationOf(error: ErrorObject, attribute: string, form: RecordForm): string {
  const name = /^#\/definitions\/([^/]+)/.exec(error.schemaPath)?.[1] ?? definitionOf(attribute)
  return inForm(definitions[name]['x-expected'], form)
}

function rootMessage(error: ErrorObject, record: unknown, form: RecordForm): SchemaProblem | undefined {
  if (error.keyword === 'type')
    return {path: '', message: `the record must be a JSON object of attributes, got ${describeValue(record)}`}
  if (error.keyword === 'required') {
    const name = (error.params as {missingProperty: string}).missingProperty
    const expected = inForm(definitions[definitionOf(name)]['x-expected'], form)
    return {path: '', message: `missing required attribute ${name}: add "${name}": ${expected}`}
  }
  if (error.keyword === 'additionalProperties') {
    const name = (error.params as {additionalProperty: string}).additionalProperty
    return {
      path: jsonPointer(name),
      atName: true,
      message: `unknown attribute ${JSON.stringify(name)}: allowed attributes are ${ALLOWED_ATTRIBUTES.join(', ')}`,
    }
  }
  return undefined // the `if` of an if/then; its `then` error says it better
}

/**
 * Turns ajv's errors into one message per attribute (or list element) that a person can act on,
 * pointing into the record as it was written.
 */
export function schemaProblems(errors: ErrorObject[], record: unknown): SchemaProblem[] {
  const form = formOf(record)
  const problems = new Map<string, SchemaProblem>()
  const add = (key: string, problem: SchemaProblem | undefined) =>
    problem && !problems.has(key) && problems.set(key, problem)
  // An EntityType that is neither Track nor Album also disagrees with the ItemID; say the first, plainer thing.
  const disagreementLast = [
    ...errors.filter((error) => error.keyword !== 'const'),
    ...errors.filter((error) => error.keyword === 'const'),
  ]
  for (const error of disagreementLast) {
    // No pointer needs unescaping: below the root, the schema looks only into its own attributes (no ~ or / in them).
    const segments = error.instancePath.split('/').slice(1)
    if (segments.length === 0) {
      add(`${error.keyword}:${JSON.stringify(error.params)}`, rootMessage(error, record, form))
      continue
    }
    const {path, value, label} = writtenPath(record as Record<string, unknown>, segments)
    if (error.keyword === 'const') {
      const itemId = ownValue(ownValue(record, 'ItemID'), 'S') ?? ownValue(record, 'ItemID')
      const wanted = (error.params as {allowedValue: string}).allowedValue
      add(label, {
        path,
        message:
          `EntityType does not match ItemID ${JSON.stringify(itemId)}: use ${inForm(`{"S": "${wanted}"}`, form)}, ` +
          `or change the ItemID prefix`,
      })
      continue
    }
    const expected = expectationOf(error, segments[0], form)
    // An N holding a number fails nothing but its type.
    const numberNotString = segments[1] === 'N' && typeof ownValue(value, 'N') === 'number'
    const note = numberNotString ? ' (DynamoDB numbers are written as strings)' : ''
    add(label, {
      path,
      message: `${label} must be ${expected}, got ${describeValue(value, form)}${note}`,
    })
  }
  return [...problems.values()]
}
