import {existsSync as realExistsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {PACKAGE_ROOT, processorBundleDir} from '#core/package-root.js'

/** Whether the processor bundle exists, as the test says: every other path as it is on disk. */
const bundle = vi.hoisted(() => ({present: true}))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const existsSync = (path: string) =>
    path.endsWith('/dist/lambda-bundle/processor/index.mjs') ? bundle.present : fs.existsSync(path)
  return {...fs, default: {...fs, existsSync}, existsSync}
})

// This test file sits two folders below the package root.
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '')

describe('package root', () => {
  afterEach(() => {
    bundle.present = true
  })

  it('is the folder holding package.json, found from the sources', () => {
    expect(PACKAGE_ROOT).toBe(ROOT)
    expect(realExistsSync(`${ROOT}/package.json`)).toBe(true)
  })

  it('finds the processor bundle that `npm run build` writes', () => {
    expect(processorBundleDir()).toBe(`${ROOT}/dist/lambda-bundle/processor`)
  })

  it('says to build when the bundle is missing', () => {
    bundle.present = false
    expect(() => processorBundleDir()).toThrow(
      new Error(`The processor bundle is missing from ${ROOT}/dist/lambda-bundle/processor; run \`npm run build\`.`),
    )
  })
})
