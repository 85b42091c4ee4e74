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

/** A short description of a value for messages: what it is, and a glimpse of it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string')
    return `a bare string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'number') return `a bare number ${value}`
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
function expectationOf(error: ErrorObject, attribute: string): string {
  const name = /^#\/definitions\/([^/]+)/.exec(error.schemaPath)?.[1] ?? definitionOf(attribute)
  return definitions[name]['x-expected']
}

function rootMessage(error: ErrorObject, record: unknown): SchemaProblem | undefined {
  if (error.keyword === 'type')
    return {path: '', message: `the record must be a JSON object of attributes, got ${describeValue(record)}`}
  if (error.keyword === 'required') {
    const name = (error.params as {missingProperty: string}).missingProperty
    const expected = definitions[definitionOf(name)]['x-expected']
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
      add(`${error.keyword}:${JSON.stringify(error.params)}`, rootMessage(error, record))
      continue
    }
    const {path, value, label} = writtenPath(record as Record<string, unknown>, segments)
    if (error.keyword === 'const') {
      const itemId = ownValue(ownValue(record, 'ItemID'), 'S') ?? ownValue(record, 'ItemID')
      const wanted = (error.params as {allowedValue: string}).allowedValue
      add(label, {
        path,
        message:
          `EntityType does not match ItemID ${JSON.stringify(itemId)}: use {"S": "${wanted}"}, ` +
          `or change the ItemID prefix`,
      })
      continue
    }
    const expected = expectationOf(error, segments[0])
    // An N holding a number fails nothing but its type.
    const numberNotString = segments[1] === 'N' && typeof ownValue(value, 'N') === 'number'
    const note = numberNotString ? ' (DynamoDB numbers are written as strings)' : ''
    add(label, {
      path,
      message: `${label} must be ${expected}, got ${describeValue(value)}${note}`,
    })
  }
  return [...problems.values()]
}
