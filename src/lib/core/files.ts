import {mkdir, rename, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'

/**
 * Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so a concurrent reader
 * never sees half a file. Creates the directory, owner-only, when it is missing.
 */
export async function writeFileAtomically(file: string, text: string, options: {mode: number}): Promise<void> {
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, text, {mode: options.mode})
  await rename(temporary, file)
}
