import {sameRecord} from '#record/same-record.js'
import {itemKeyOf, type TypedItem} from '#record/typed-item.js'

/** Two records of one set with the same ArtistID + ItemID and different content: `where` is a file, or file:line. */
export interface SameKeyPair {
  first: string
  second: string
  artistId: string
  itemId: string
}

/** Pairs listed in text; the rest are counted. */
const PAIRS_LISTED = 20

/**
 * Finds, among records fed in upload order, those that share an ArtistID + ItemID with an earlier one in other
 * content: the pipeline would process both, and which one ends stored is a race. The same record twice is no problem
 * (it is stored once, the other reported unchanged).
 */
export function sameKeyFinder(): {pairs: SameKeyPair[]; add: (where: string, item: TypedItem) => void} {
  const seen = new Map<string, {where: string; item: TypedItem}>()
  const pairs: SameKeyPair[] = []
  const add = (where: string, item: TypedItem) => {
    const key = itemKeyOf(item)
    const earlier = seen.get(key)
    if (!earlier) seen.set(key, {where, item})
    else if (!sameRecord(earlier.item, item)) {
      const [artistId, itemId] = JSON.parse(key) as [string, string]
      pairs.push({first: earlier.where, second: where, artistId, itemId})
    }
  }
  return {pairs, add}
}

/** One line per pair, both places named, the first PAIRS_LISTED of them; then how many more. */
export function sameKeyLines(pairs: SameKeyPair[]): string[] {
  const listed = pairs
    .slice(0, PAIRS_LISTED)
    .map(
      (pair) =>
        `${pair.first} and ${pair.second}: ArtistID ${JSON.stringify(pair.artistId)} + ItemID ${JSON.stringify(pair.itemId)}`,
    )
  return pairs.length > PAIRS_LISTED ? [...listed, `… and ${pairs.length - PAIRS_LISTED} more`] : listed
}

/** How many pairs, in words. */
export const sameKeyCount = (pairs: SameKeyPair[]): string =>
  pairs.length === 1 ? 'two records' : `${pairs.length} pairs of records`
