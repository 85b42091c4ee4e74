import {listObjects} from '../aws/list-objects.js'
import {type PipelineTarget, resource} from '../aws/target.js'
import {usageError} from '../errors.js'

/** When the stack publishes no threshold of its own. */
export const DEFAULT_STUCK_AFTER_SECONDS = 15 * 60

const UNIT_SECONDS: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/** Parses durations like 90s, 15m, 2h, 1d (also combined: 1h30m). */
export function parseDuration(text: string): number {
  const match = /^(?:\d+[smhd])+$/.test(text.trim()) ? text.trim().match(/\d+[smhd]/g) : null
  if (!match) throw usageError(`Not a duration: ${text}`, 'Write it like 90s, 15m, 2h or 1d.')
  return match.reduce((seconds, part) => seconds + Number(part.slice(0, -1)) * UNIT_SECONDS[part.at(-1)!], 0)
}

export interface StuckObject {
  key: string
  size: number
  uploadedAt?: string
  ageSeconds: number
}

/** Objects that have sat in the processing bucket longer than the threshold: the processor never finished with them. */
export async function findStuck(target: PipelineTarget, olderThanSeconds: number, now = Date.now()): Promise<StuckObject[]> {
  const stuck: StuckObject[] = []
  for await (const object of listObjects(target.s3, resource(target, 'processingBucket'))) {
    const ageSeconds = object.lastModified ? Math.floor((now - object.lastModified.getTime()) / 1000) : 0
    if (ageSeconds >= olderThanSeconds) stuck.push({key: object.key, size: object.size, uploadedAt: object.lastModified?.toISOString(), ageSeconds})
  }
  return stuck
}
