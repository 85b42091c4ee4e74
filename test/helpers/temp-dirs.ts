import {mkdtempSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const made: string[] = []

/**
 * A fresh directory for a test, under its file's own TMPDIR: removed when the file's tests are done (see
 * file-tmpdir.ts), whatever they left in it.
 */
export function tempDir(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix))
  made.push(directory)
  return directory
}

/**
 * Removes every directory tempDir made, without blocking the worker (some hold whole npm installs), retrying while
 * work a timed-out test left running still writes there.
 */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((directory) => rm(directory, {recursive: true, force: true, maxRetries: 5})))
}
