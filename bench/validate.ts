// Benchmark for `eventpulse validate`: 10,000 record files, whole processes, side by side with ajv-cli on the same
// files and schema and with a floor that only reads and JSON.parses them in one thread; then start-up against bare
// node.
// Run: npm run build && node dist/bench/validate.js [files=10000] [runs=5]
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {medianProcessMs, printTable, printTargets} from './measure.js'

const root = resolve(import.meta.dirname, '../..')
const fileCount = Number(process.argv[2] ?? 10_000)
const runs = Number(process.argv[3] ?? 5)
const work = mkdtempSync(join(tmpdir(), 'eventpulse-bench-validate-'))
const records = join(work, 'records')
mkdirSync(records)
for (let i = 0; i < fileCount; i++) {
  const record = {
    ArtistID: {S: `Artist ${i % 997}`},
    ItemID: {S: `${i % 5 ? 'TRACK' : 'ALBUM'}#Title ${i}`},
    Title: {S: `Title ${i}`},
    EntityType: {S: i % 5 ? 'Track' : 'Album'},
    Duration: {N: String(60 + (i % 600))},
    Streams: {N: String(i * 7919)},
    Year: {N: String(1960 + (i % 66))},
    Features: {L: [{S: `Guest ${i % 13}`}]},
  }
  writeFileSync(join(records, `record-${i}.json`), JSON.stringify(record, null, 2))
}
const floorScript = join(work, 'floor.mjs')
writeFileSync(
  floorScript,
  `import {readdirSync, readFileSync} from 'node:fs'\nconst dir = process.argv[2]\n` +
    `for (const f of readdirSync(dir)) JSON.parse(readFileSync(dir + '/' + f, 'utf8'))\n`,
)
const oneFile = join(records, 'record-0.json')
const cli = join(root, 'bin/run.js')
const ajvCli = join(root, 'node_modules/ajv-cli/dist/index.js')
const schema = join(root, 'src/lib/schema/item.schema.json')
const node = process.execPath

console.log(`validate benchmark: ${fileCount} files, median of ${runs} runs, ${process.version}`)
const validating = [
  {name: 'floor: read + JSON.parse, one thread', ms: medianProcessMs(node, [floorScript, records], runs)},
  {name: 'eventpulse validate DIR', ms: medianProcessMs(node, [cli, 'validate', records], runs)},
  {
    name: 'ajv-cli validate (same schema)',
    ms: medianProcessMs(
      node,
      [ajvCli, 'validate', '-s', schema, '-d', `${records}/*.json`, '--strict=false', '--all-errors'],
      Math.min(runs, 3),
    ),
  },
]
printTable(`Validating ${fileCount} files (whole process)`, validating, 'floor: read + JSON.parse, one thread')
const startUp = [
  {name: 'node -e 0', ms: medianProcessMs(node, ['-e', '0'], runs * 2)},
  {name: 'eventpulse --version', ms: medianProcessMs(node, [cli, '--version'], runs * 2)},
  {name: 'eventpulse validate one.json', ms: medianProcessMs(node, [cli, 'validate', oneFile], runs * 2)},
]
printTable('Start-up', startUp, 'node -e 0')
const [floor, validate, ajv] = validating.map((row) => row.ms)
const startUpRatio = Math.max(startUp[1].ms, startUp[2].ms) / startUp[0].ms
printTargets([
  {target: 'validate ≥ 2x faster than ajv-cli', met: ajv / validate >= 2, measured: `${(ajv / validate).toFixed(2)}x`},
  {
    target: 'validate within 1.5x of the floor',
    met: validate / floor <= 1.5,
    measured: `${(validate / floor).toFixed(2)}x`,
  },
  {target: 'start-up within 3x of bare node', met: startUpRatio <= 3, measured: `${startUpRatio.toFixed(2)}x`},
])
rmSync(work, {recursive: true, force: true})
