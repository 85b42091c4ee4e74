import {mkdtempSync} from 'node:fs'
import {readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {afterAll, expect, inject} from 'vitest'

import {PROJECT_ROOT} from './run-cli.js'
import {removeTempDirs} from './temp-dirs.js'

/**
 * setupFiles: each test file gets a TMPDIR of its own (os.tmpdir() and the CLI processes it starts use it), and fails
 * when its tests leave anything there. A private directory also keeps files that run in parallel apart.
 */
const testFile = relative(PROJECT_ROOT, expect.getState().testPath!)
// Under the run's directory (tmp-root.ts); under the system's if a runner skipped the global setup.
const fileTmp = mkdtempSync(join(inject('tmpRoot') ?? tmpdir(), `${testFile.replaceAll('/', '-')}-`))
process.env.TMPDIR = fileTmp

// Registered before the file's own hooks, so it runs after them.
afterAll(async () => {
  await removeTempDirs()
  const left = await readdir(fileTmp)
  await rm(fileTmp, {recursive: true, force: true, maxRetries: 5})
  if (left.length > 0)
    throw new Error(
      `${testFile} left ${left.join(', ')} in its temporary directory: remove it when done, or make it with ` +
        'tempDir() (test/helpers/temp-dirs.ts)',
    )
})
