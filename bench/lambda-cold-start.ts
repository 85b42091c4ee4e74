// Benchmark for the processor Lambda's bundle: its size, and the time a fresh Node process takes to import it (the
// part of a cold start the bundle decides), with Powertools Logger and Metrics and with do-nothing stand-ins in their
// place, built side by side the way `npm run build` builds the real one. Further bundles given on the command line
// (e.g. one saved from an older build) are measured beside them.
// Run: npm run build && node dist/bench/lambda-cold-start.js [runs=15] [other-bundle.mjs ...]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {PROCESSOR_ENV} from '#contract/pipeline-contract.js'

const root = resolve(import.meta.dirname, '../..')
const runs = Number(process.argv[2] ?? 15)
const others = process.argv.slice(3).map((file) => resolve(file))
const work = mkdtempSync(join(tmpdir(), 'eventpulse-bench-lambda-'))

// The calls lambda/processor.ts makes, doing nothing: what is left is the cost of Powertools itself.
const standIns = join(work, 'powertools-stand-ins.mjs')
writeFileSync(
  standIns,
  `export class Logger { info() {} warn() {} error() {} }
export class Metrics {
  addMetric() { return this }
  addDimension() { return this }
  singleMetric() { return this }
  hasStoredMetrics() { return false }
  publishStoredMetrics() {}
}
export const MetricUnit = {Count: 'Count'}
`,
)
const withoutPowertools = {
  name: 'powertools-stand-ins',
  setup(build: {onResolve(options: {filter: RegExp}, resolve: () => {path: string}): void}) {
    build.onResolve({filter: /^@aws-lambda-powertools\//}, () => ({path: standIns}))
  },
}

const {bundleLambda} = await import(pathToFileURL(join(root, 'scripts/lambda-bundle.mjs')).href)
const entry = join(root, 'lambda/processor.ts')
const bundles = [
  {name: 'with Powertools (as built)', file: join(work, 'with/index.mjs')},
  {name: 'Powertools replaced by stand-ins', file: join(work, 'without/index.mjs')},
  ...others.map((file) => ({name: file, file})),
]
await bundleLambda(entry, bundles[0].file)
await bundleLambda(entry, bundles[1].file, [withoutPowertools])

/** What the handler module reads at import: the processor's settings (no request is made). */
const env = {
  PATH: process.env.PATH,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  [PROCESSOR_ENV.processingBucket]: 'processing',
  [PROCESSOR_ENV.quarantineBucket]: 'quarantine',
  [PROCESSOR_ENV.table]: 'catalog',
  [PROCESSOR_ENV.outcomesTable]: 'outcomes',
  [PROCESSOR_ENV.topicArn]: 'arn:aws:sns:eu-west-1:123456789012:outcomes',
  [PROCESSOR_ENV.deadLetterQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/failed',
}

/** Milliseconds to import the bundle in a fresh process, as the Lambda runtime's first import of the handler. */
function importMs(file: string): number {
  const script =
    `const started = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'console.log(performance.now() - started)'
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {env, encoding: 'utf8'})
  if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`)
  return Number(run.stdout.trim())
}

// Interleaved, so that a busy moment of the machine weighs on every bundle alike; one warm-up round first.
const times = bundles.map(() => [] as number[])
for (let round = 0; round <= runs; round++)
  for (const [index, bundle] of bundles.entries()) {
    const ms = importMs(bundle.file)
    if (round > 0) times[index].push(ms)
  }
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const reference = {kib: statSync(bundles[1].file).size / 1024, ms: median(times[1])}

// The fastest run beside the median: on a busy machine, the least disturbed import.
console.log(`\nProcessor bundle: size, and cold import in a fresh process (median and fastest of ${runs})`)
for (const [index, bundle] of bundles.entries()) {
  const kib = statSync(bundle.file).size / 1024
  const ms = median(times[index])
  console.log(
    `  ${bundle.name.padEnd(36)} ${kib.toFixed(1).padStart(7)} KiB ${(kib / reference.kib).toFixed(2)}x   ` +
      `${ms.toFixed(1).padStart(6)} ms ${(ms / reference.ms).toFixed(2)}x   ` +
      `(fastest ${Math.min(...times[index]).toFixed(1)} ms)`,
  )
}
console.log('  Ratios are to the stand-ins.')
rmSync(work, {recursive: true, force: true})
