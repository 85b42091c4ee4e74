import {usageError} from './errors.js'

const UNIT_SECONDS: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/**
 * Parses durations like 90s, 15m, 2h, 1d (also combined: 1h30m) into seconds. `flag` names the flag it came from,
 * for the message (a bare number then gets its fix: `--timeout 5s`).
 */
export function parseDuration(text: string, flag?: string): number {
  const match = /^(?:\d+[smhd])+$/.test(text.trim()) ? text.trim().match(/\d+[smhd]/g) : null
  if (!match && flag) {
    const example = /^\d+$/.test(text.trim()) ? `${text.trim()}s` : '90s'
    throw usageError(
      `Not a duration: ${text} (${flag}).`,
      `Write it with a unit: ${flag} ${example} (units s, m, h, d, e.g. 15m or 1h30m).`,
    )
  }
  if (!match) throw usageError(`Not a duration: ${text}`, 'Write it like 90s, 15m, 2h or 1d.')
  return match.reduce((seconds, part) => seconds + Number(part.slice(0, -1)) * UNIT_SECONDS[part.at(-1)!], 0)
}

/** Seconds written the way parseDuration reads them: 900 → 15m, 5400 → 1h30m, 2 → 2s. */
export function formatDuration(seconds: number): string {
  let rest = Math.round(seconds)
  let text = ''
  for (const [unit, size] of Object.entries(UNIT_SECONDS).reverse()) {
    if (rest < size) continue
    text += `${Math.floor(rest / size)}${unit}`
    rest %= size
  }
  return text || '0s'
}
