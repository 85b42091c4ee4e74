// The mutation gate around StrykerJS, so that it cannot go quiet:
//   node scripts/mutation-gate.mjs run [stryker args]   what `npm run test:mutation` does: Stryker (incremental), then
//                                                      the per-module floors, then records the inputs' digest
//   node scripts/mutation-gate.mjs check               CI's first step, in seconds: fails when the committed baseline
//                                                      (stryker-incremental.json) was not refreshed after a change
//   node scripts/mutation-gate.mjs floors              the per-module scores of the last report, failing below a floor
// The inputs are every file whose change can change a mutant's result: the sources, the Lambda, the tests with their
// helpers, fakes and fixtures, the emulator patches (src/lib/local), and the Stryker, Vitest, TypeScript and lock files.
import {spawnSync, execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INPUT_FOLDERS = ['src', 'lambda', 'test']
const INPUT_FILES = [
  'stryker.config.mjs',
  'vitest.config.ts',
  'vitest.mutation.config.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
]
const DIGEST_FILE = 'stryker-inputs.json'
const REPORT = 'reports/mutation/mutation.json'
/** The least mutation score of each module (a src/lib folder, or infra); every other module needs DEFAULT_FLOOR. */
const FLOORS = {processor: 85, record: 85, quarantine: 85, local: 85, infra: 85}
const DEFAULT_FLOOR = 70
const REFRESH =
  'Run `npm run test:mutation` and commit stryker-incremental.json and stryker-inputs.json with the change.'

/** One digest of the inputs: each file's path and bytes, in path order (tracked files, and new ones not ignored). */
export function inputsDigest(root) {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...INPUT_FOLDERS, ...INPUT_FILES],
    {cwd: root, encoding: 'utf8'},
  )
  const files = [...new Set(listed.split('\0').filter(Boolean))].filter((file) => existsSync(join(root, file))).sort()
  const hash = createHash('sha256')
  for (const file of files)
    hash.update(`${file}\0`).update(
      createHash('sha256')
        .update(readFileSync(join(root, file)))
        .digest('hex'),
    )
  return {digest: hash.digest('hex'), files: files.length}
}

/** Mutation score per module, as Stryker counts it: detected (killed, timed out) of detected and undetected. */
export function moduleScores(report) {
  const modules = new Map()
  for (const [path, file] of Object.entries(report.files)) {
    const module = path.startsWith('infra/') ? 'infra' : (path.match(/^src\/lib\/([^/]+)\//)?.[1] ?? path)
    const counts = modules.get(module) ?? {detected: 0, undetected: 0}
    for (const {status} of file.mutants) {
      if (status === 'Killed' || status === 'Timeout') counts.detected++
      else if (status === 'Survived' || status === 'NoCoverage') counts.undetected++
    }
    modules.set(module, counts)
  }
  return [...modules]
    .map(([module, {detected, undetected}]) => {
      const total = detected + undetected
      const floor = FLOORS[module] ?? DEFAULT_FLOOR
      return {module, score: total === 0 ? 100 : (100 * detected) / total, mutants: total, floor}
    })
    .sort((a, b) => a.module.localeCompare(b.module))
}

/** The floors table of a report, and whether every module meets its floor. */
export function floorsReport(report) {
  const scores = moduleScores(report)
  const lines = ['module        score  floor  mutants']
  for (const {module, score, floor, mutants} of scores)
    lines.push(
      `${module.padEnd(12)} ${score.toFixed(1).padStart(6)}  ${String(floor).padStart(5)}  ${String(mutants).padStart(7)}${score < floor ? '  BELOW ITS FLOOR' : ''}`,
    )
  const below = scores.filter(({score, floor}) => score < floor)
  return {lines, below: below.map(({module}) => module)}
}

function checkFloors() {
  if (!existsSync(join(root, REPORT))) {
    console.error(`mutation gate: no report at ${REPORT}. ${REFRESH}`)
    return false
  }
  const {lines, below} = floorsReport(JSON.parse(readFileSync(join(root, REPORT), 'utf8')))
  for (const line of lines) console.log(line)
  if (below.length > 0)
    console.error(
      `mutation gate: ${below.map(({module}) => module).join(', ')} below the floor; kill the survivors (reports/mutation/index.html).`,
    )
  return below.length === 0
}

/** Exit status of `check`: the baseline matches its inputs, it is stale, or no run has recorded a digest yet. */
const CHECK = {fresh: 0, stale: 1, unarmed: 3}

function checkInputs() {
  if (!existsSync(join(root, DIGEST_FILE))) {
    console.error(
      `mutation gate: not armed: no ${DIGEST_FILE} yet, so the baseline's freshness cannot be checked. ` +
        'The first whole `npm run test:mutation` records it; from then on a stale baseline fails CI.',
    )
    return CHECK.unarmed
  }
  const recorded = JSON.parse(readFileSync(join(root, DIGEST_FILE), 'utf8'))
  const now = inputsDigest(root)
  if (recorded.digest === now.digest) {
    console.log(`mutation gate: the baseline matches its ${now.files} input files.`)
    return CHECK.fresh
  }
  console.error(
    `mutation gate: the mutation baseline is stale: sources, tests or configuration changed since it was refreshed ` +
      `(${DIGEST_FILE}: ${recorded.digest}, now ${now.digest}). ${REFRESH}`,
  )
  return CHECK.stale
}

function main(command, args) {
  if (command === 'check') return checkInputs()
  if (command === 'floors') return checkFloors() ? 0 : 1
  if (command !== 'run') {
    console.error('usage: node scripts/mutation-gate.mjs run [stryker args] | check | floors')
    return 2
  }
  // The digest of the inputs as the run starts: a file changed during the run leaves the baseline stale, as it is.
  const inputs = inputsDigest(root)
  const stryker = spawnSync(join(root, 'node_modules/.bin/stryker'), ['run', ...args], {cwd: root, stdio: 'inherit'})
  if (stryker.status !== 0) return stryker.status ?? 1
  if (!checkFloors()) return 1
  // A run of some modules only (--mutate) leaves the others' results as they were: not a refreshed baseline.
  if (args.length === 0) writeFileSync(join(root, DIGEST_FILE), `${JSON.stringify(inputs, null, 2)}\n`)
  else console.log(`mutation gate: a partial run (${args.join(' ')}): ${DIGEST_FILE} not rewritten.`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exit(main(process.argv[2], process.argv.slice(3)))
