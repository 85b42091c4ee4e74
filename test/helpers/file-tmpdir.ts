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
const runTmp = inject('tmpRoot') ?? tmpdir()
const fileTmp = mkdtempSync(join(runTmp, `${testFile.replaceAll('/', '-')}-`))
process.env.TMPDIR = fileTmp
// On Node 22+ bin/run.js keeps compiled code in $TMPDIR/node-compile-cache unless NODE_COMPILE_CACHE names a place:
// the CLI processes of every file share the run's (faster), and a child started without it leaves its own here.
process.env.NODE_COMPILE_CACHE ??= join(runTmp, 'node-compile-cache')
const NODE_OWN = new Set(['node-compile-cache'])

// Registered before the file's own hooks, so it runs after them.
afterAll(async () => {
  await removeTempDirs()
  const left = (await readdir(fileTmp)).filter((name) => !NODE_OWN.has(name))
  await rm(fileTmp, {recursive: true, force: true, maxRetries: 5})
  if (left.length > 0)
    throw new Error(
      `${testFile} left ${left.join(', ')} in its temporary directory: remove it when done, or make it with ` +
        'tempDir() (test/helpers/temp-dirs.ts)',
    )
})
