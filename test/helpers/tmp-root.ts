import {mkdtempSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TestProject} from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's own directory, under which each test file gets its TMPDIR (file-tmpdir.ts). */
    tmpRoot: string
  }
}

/** globalSetup: one directory per run for every temporary file of the tests, removed when the run ends. */
export default function setup(project: TestProject): () => Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'eventpulse-tests-'))
  project.provide('tmpRoot', root)
  return () => rm(root, {recursive: true, force: true})
}
