import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import {toPlainRecord} from './normalise.js'
import {sameRecord} from './same-record.js'
import type {TypedItem} from './typed-item.js'

/** One attribute's change between two versions of a record, its values in plain JSON. */
export type AttributeChange =
  | {attribute: string; change: 'added'; after: unknown}
  | {attribute: string; change: 'removed'; before: unknown}
  | {attribute: string; change: 'changed'; before: unknown; after: unknown}

const metadataNames: ReadonlySet<string> = new Set(Object.values(ITEM_METADATA))

/**
 * What changed from one version of a record to the next, attribute by attribute, in name order: the one comparison
 * `items history`, `quarantine accept` and the review show. Values compare as `sameRecord` compares them (numbers by
 * value: 10 and 10.0 are no change); the pipeline's own attributes and any in `ignore` are not the record's.
 */
export function recordChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  ignore: readonly string[] = [],
): AttributeChange[] {
  const own = (name: string) => !metadataNames.has(name) && !ignore.includes(name)
  const plainBefore = toPlainRecord(before as TypedItem)
  const plainAfter = toPlainRecord(after as TypedItem)
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(own).sort()
  return names.flatMap((attribute): AttributeChange[] => {
    if (!(attribute in before)) return [{attribute, change: 'added', after: plainAfter[attribute]}]
    if (!(attribute in after)) return [{attribute, change: 'removed', before: plainBefore[attribute]}]
    if (sameRecord({[attribute]: before[attribute]}, {[attribute]: after[attribute]})) return []
    return [{attribute, change: 'changed', before: plainBefore[attribute], after: plainAfter[attribute]}]
  })
}

/** One line per change: `Streams: 10 → 25`, `+ Features: ["X"]`, `- Year: 2020`. */
export function changeLines(changes: AttributeChange[]): string[] {
  const show = (value: unknown) => JSON.stringify(value)
  return changes.map((change) => {
    if (change.change === 'added') return `+ ${change.attribute}: ${show(change.after)}`
    if (change.change === 'removed') return `- ${change.attribute}: ${show(change.before)}`
    return `  ${change.attribute}: ${show(change.before)} → ${show(change.after)}`
  })
}
