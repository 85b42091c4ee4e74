import {stat} from 'node:fs/promises'

import {expandInputs} from '#files/input-files.js'
import {objectKeyFor} from '#files/object-keys.js'

/**
 * The keys `status` asks about: an argument that is a file or directory on disk names the keys `upload` gives
 * those files (with the same --prefix); any other argument is a key as it is.
 */
export async function keysFromArguments(args: string[], prefix?: string): Promise<string[]> {
  const keys: string[] = []
  for (const arg of args) {
    const onDisk = await stat(arg).then(
      () => true,
      () => false,
    )
    if (onDisk) keys.push(...(await expandInputs([arg])).map((file) => objectKeyFor(file.relativePath, prefix)))
    else keys.push(arg)
  }
  return [...new Set(keys)]
}
