import {ITEM_METADATA} from '#contract/pipeline-contract.js'
import type {TypedItem} from './typed-item.js'
/** Placeholder until the canonical comparison lands: attribute-by-attribute JSON equality, metadata ignored. */
export function sameRecord(a: TypedItem, b: Record<string, unknown>): boolean {
  const own = (item: Record<string, unknown>) => Object.keys(item).filter((name) => !Object.values(ITEM_METADATA).includes(name as never)).sort()
  const names = own(a)
  return JSON.stringify(names) === JSON.stringify(own(b)) && names.every((name) => JSON.stringify(a[name]) === JSON.stringify(b[name]))
}
