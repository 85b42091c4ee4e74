import {distance} from 'fastest-levenshtein'

/**
 * The candidate closest to what was typed, if it is close enough to be what was meant: at most one edit in three
 * letters (`valdate` → `validate`, `jsn` → `json`, `stat` → `status`; `foo` suggests nothing).
 */
export function closestMatch(
  typed: string,
  candidates: Iterable<string>,
): {match: string; distance: number} | undefined {
  let best: {match: string; distance: number} | undefined
  for (const candidate of candidates) {
    const edits = distance(typed, candidate)
    if (!best || edits < best.distance) best = {match: candidate, distance: edits}
  }
  return best && best.distance <= Math.max(1, Math.ceil(typed.length / 3)) ? best : undefined
}
