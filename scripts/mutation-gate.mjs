// The mutation gate around StrykerJS, so that it cannot go quiet. It works module by module (a src/lib folder, or
// infra), each with a baseline of its own (mutation-baseline/<module>.json, Stryker's incremental file): a module's
// refresh ends and is kept even when a whole run would not fit in a session, and a module joins the gate (is armed)
// once its first refresh is recorded.
//   node scripts/mutation-gate.mjs run [module ...]   what `npm run test:mutation` does: for each module named (default:
//                                                    the armed ones; all of stryker.config.mjs before any is armed),
//                                                    Stryker (incremental) on its files, its floor, then the inputs'
//                                                    digest recorded for it; a named module not armed yet is armed
//   node scripts/mutation-gate.mjs run --armed        the armed modules only (CI)
//   node scripts/mutation-gate.mjs run --all          every module of stryker.config.mjs
//   node scripts/mutation-gate.mjs check              CI's first step, in seconds: fails when an armed module's
//                                                    baseline was not refreshed after a change
//   node scripts/mutation-gate.mjs floors             the per-module scores of the last report, failing below a floor
// The inputs are every file whose change can change a mutant's result: the sources, the Lambda, the tests with their
// helpers, fakes and fixtures, the emulator patches (src/lib/local), and the Stryker, Vitest, TypeScript and lock files.
import {spawnSync, execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
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
const BASELINE_DIR = 'mutation-baseline'
/** Per module, the digest of the inputs its baseline was last refreshed from. */
const DIGEST_FILE = `${BASELINE_DIR}/inputs.json`
const REPORT = 'reports/mutation/mutation.json'
/** The least mutation score of each module (a src/lib folder, or infra); every other module needs DEFAULT_FLOOR. */
const FLOORS = {processor: 85, record: 85, quarantine: 85, local: 85, infra: 85}
const DEFAULT_FLOOR = 70
const REFRESH = `Run \`npm run test:mutation\` and commit ${BASELINE_DIR}/ with the change.`

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

/** The module of a source file or of a mutate pattern: its src/lib folder, or infra. */
export function moduleOf(path) {
  return path.startsWith('infra/') ? 'infra' : (path.match(/^src\/lib\/([^/]+)\//)?.[1] ?? path)
}

/** The mutate patterns of stryker.config.mjs, by module, in the configuration's order. */
export function modulePatterns(mutate) {
  const modules = new Map()
  for (const pattern of mutate) modules.set(moduleOf(pattern), [...(modules.get(moduleOf(pattern)) ?? []), pattern])
  return modules
}

/** Mutation score per module, as Stryker counts it: detected (killed, timed out) of detected and undetected. */
export function moduleScores(report) {
  const modules = new Map()
  for (const [path, file] of Object.entries(report.files)) {
    const module = moduleOf(path)
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
      `mutation gate: ${below.join(', ')} below the floor; kill the survivors (reports/mutation/index.html).`,
    )
  return below.length === 0
}

/** Exit status of `check`: every armed module's baseline matches its inputs, one is stale, or none is armed yet. */
const CHECK = {fresh: 0, stale: 1, unarmed: 3}

function recordedDigests() {
  return existsSync(join(root, DIGEST_FILE)) ? JSON.parse(readFileSync(join(root, DIGEST_FILE), 'utf8')) : {}
}

/** The modules of the configuration whose baseline was refreshed once (armed), the inputs' digest, and the stale ones. */
export function gateState(modules, recorded, now) {
  const armed = modules.filter((module) => recorded[module])
  return {
    armed,
    unarmed: modules.filter((module) => !recorded[module]),
    stale: armed.filter((module) => recorded[module].digest !== now.digest),
  }
}

async function configuredModules() {
  const {default: config} = await import(pathToFileURL(join(root, 'stryker.config.mjs')).href)
  return modulePatterns(config.mutate)
}

async function checkInputs() {
  const modules = [...(await configuredModules()).keys()]
  const now = inputsDigest(root)
  const {armed, unarmed, stale} = gateState(modules, recordedDigests(), now)
  if (unarmed.length > 0)
    console.error(
      `mutation gate: not armed for ${unarmed.join(', ')}: no refresh of their baselines recorded yet ` +
        `(\`npm run test:mutation -- ${unarmed.join(' ')}\` arms them).`,
    )
  if (armed.length === 0) return CHECK.unarmed
  if (stale.length > 0) {
    console.error(
      `mutation gate: ${stale.length === 1 ? 'the baseline of' : 'the baselines of'} ${stale.join(', ')} ` +
        `${stale.length === 1 ? 'is' : 'are'} stale: sources, tests or configuration changed since the last refresh. ` +
        REFRESH,
    )
    return CHECK.stale
  }
  console.log(`mutation gate: the baselines of ${armed.join(', ')} match their ${now.files} input files.`)
  return CHECK.fresh
}

/** Stryker on one module's files with its own baseline, then its floor; the digest is recorded when both pass. */
function runModule(module, patterns, inputs) {
  console.log(`== mutation testing: ${module} (${patterns.join(', ')})`)
  const stryker = spawnSync(
    join(root, 'node_modules/.bin/stryker'),
    ['run', '--mutate', patterns.join(','), '--incrementalFile', `${BASELINE_DIR}/${module}.json`],
    // The module's own tests run against its mutants (vitest.mutation.config.ts).
    {cwd: root, stdio: 'inherit', env: {...process.env, MUTATION_MODULE: module}},
  )
  if (stryker.status !== 0) return stryker.status ?? 1
  // Each module's report is kept beside the last one's (the HTML report shows the last module run), below its floor too.
  copyFileSync(join(root, REPORT), join(root, `reports/mutation/${module}.json`))
  if (!checkFloors()) return 1
  const recorded = recordedDigests()
  recorded[module] = inputs
  writeFileSync(join(root, DIGEST_FILE), `${JSON.stringify(recorded, null, 2)}\n`)
  return 0
}

async function run(args) {
  const modules = await configuredModules()
  const unknown = args.filter((arg) => arg !== '--armed' && arg !== '--all' && !modules.has(arg))
  if (unknown.length > 0) {
    console.error(
      `mutation gate: no module ${unknown.join(', ')} in stryker.config.mjs: ${[...modules.keys()].join(', ')}`,
    )
    return 2
  }
  const recorded = recordedDigests()
  const named = args.filter((arg) => modules.has(arg))
  const armed = [...modules.keys()].filter((module) => recorded[module])
  // Refreshing after a change means the armed modules; arming another is asked for by name (its first run is long).
  const chosen = args.includes('--all')
    ? [...modules.keys()]
    : named.length > 0
      ? named
      : armed.length > 0 || args.includes('--armed')
        ? armed
        : [...modules.keys()]
  // The digest of the inputs as the run starts: a file changed during the run leaves the baseline stale, as it is.
  const inputs = inputsDigest(root)
  for (const module of chosen) {
    const status = runModule(module, modules.get(module), inputs)
    if (status !== 0) return status
  }
  return 0
}

async function main(command, args) {
  if (command === 'check') return checkInputs()
  if (command === 'floors') return checkFloors() ? 0 : 1
  if (command === 'run') return run(args)
  console.error('usage: node scripts/mutation-gate.mjs run [module ... | --armed | --all] | check | floors')
  return 2
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exit(await main(process.argv[2], process.argv.slice(3)))
