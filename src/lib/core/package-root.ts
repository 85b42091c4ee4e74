import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * The folder holding EventPulse's package.json: found by walking up from this module, which sits at a different
 * depth when compiled (dist/src/lib/core) than when the tests run it from source (src/lib/core).
 */
export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)))

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`No package.json above ${start}`)
  }
}

/** The folder holding the processor Lambda's index.mjs, as `npm run build` writes it (also in an installed package). */
export function processorBundleDir(): string {
  const dir = join(PACKAGE_ROOT, 'dist', 'lambda-bundle', 'processor')
  if (!existsSync(join(dir, 'index.mjs')))
    throw new Error(`The processor bundle is missing from ${dir}; run \`npm run build\`.`)
  return dir
}
