import {stat} from 'node:fs/promises'

import {expandInputs, type InputFile} from '#files/input-files.js'
import {objectKeyFor} from '#files/object-keys.js'

/** A key `status` asks about, and the file on disk it stands for, if any. */
export interface KeyArgument {
  key: string
  file?: InputFile
}

/**
 * The keys `status` asks about, each once: an argument that is a file or directory on disk names the keys `upload`
 * gives those files (with the same --prefix); any other argument is a key as it is.
 */
export async function keysFromArguments(args: string[], prefix?: string): Promise<KeyArgument[]> {
  const keys = new Map<string, KeyArgument>()
  for (const arg of args) {
    const onDisk = await stat(arg).then(
      () => true,
      () => false,
    )
    const found = onDisk
      ? (await expandInputs([arg])).map((file) => ({key: objectKeyFor(file.relativePath, prefix), file}))
      : [{key: arg}]
    for (const argument of found) if (!keys.has(argument.key)) keys.set(argument.key, argument)
  }
  return [...keys.values()]
}
