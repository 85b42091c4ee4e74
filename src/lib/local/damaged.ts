import {readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {SetAsideObject} from './s3-files.js'

/** One object a crash left half-written, which a start-up set aside into the damaged directory, and when. */
export interface DamagedObject extends Pick<SetAsideObject, 'bucket' | 'key' | 'why'> {
  setAsideAt: string
}

/** What the damaged directory holds: one folder per start-up that set objects aside, named by its time. */
export interface Damaged {
  directory: string
  objects: DamagedObject[]
  /** The start-up folders read: `clearDamaged` removes these, and nothing set aside after they were read. */
  folders: string[]
}

/** The folder name repairS3Files gives (an ISO time with `:` as `-`), back as the ISO time. */
const timeOf = (folder: string): string => folder.replace(/T(\d\d)-(\d\d)-(\d\d)/, 'T$1:$2:$3')

/**
 * Lists what start-ups set aside (s3-files.ts, repairS3Files), oldest first, from each folder's report.json. A folder
 * without one (its start-up died while setting aside) is listed by its objects' file names.
 */
export async function readDamaged(directory: string): Promise<Damaged> {
  const folders = (await readdir(directory, {withFileTypes: true}).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  const objects: DamagedObject[] = []
  for (const folder of folders) {
    const setAsideAt = timeOf(folder)
    const report = await readFile(join(directory, folder, 'report.json'), 'utf8').then(
      (text) => JSON.parse(text) as SetAsideObject[],
      () => undefined,
    )
    const found = report ?? [{bucket: '?', key: '(not reported: its start-up was interrupted)', why: 'unknown'}]
    objects.push(...found.map(({bucket, key, why}) => ({bucket, key, why, setAsideAt})))
  }
  return {directory, objects, folders}
}

/** Removes the start-up folders that `damaged` lists, and the damaged directory once it is empty. */
export async function clearDamaged(damaged: Damaged): Promise<void> {
  for (const folder of damaged.folders) await rm(join(damaged.directory, folder), {recursive: true, force: true})
  if ((await readdir(damaged.directory).catch(() => ['?'])).length === 0) await rm(damaged.directory, {recursive: true})
}

/** For people: how many objects, from when, and each one's bucket, key and why. */
export function damagedLines(damaged: Damaged, options: {limit?: number} = {}): string[] {
  const {objects} = damaged
  if (objects.length === 0) return []
  const limit = options.limit ?? objects.length
  const lines = [
    `  Damaged:           ${objects.length} half-written object(s) set aside by crashes ` +
      `(${objects[0].setAsideAt} to ${objects.at(-1)!.setAsideAt}), in ${damaged.directory}`,
    ...objects
      .slice(0, limit)
      .map((object) => `    ${object.setAsideAt} ${object.bucket}/${object.key}: ${object.why}`),
  ]
  if (objects.length > limit)
    lines.push(`    … and ${objects.length - limit} more: \`eventpulse local damaged\` lists them all`)
  return lines
}
