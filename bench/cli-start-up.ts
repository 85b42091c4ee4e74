// Benchmark for the CLI's start-up: a command that fails at once (no local pipeline: exit 4) costs what loading it
// costs. Side by side: bare node, the fast path (`--version`, no oclif), and each command run through oclif from the
// bundled commands that `eventpulse` runs (dist/cli) and from the compiled, unbundled ones (dist/src/commands).
// Run: npm run build && node dist/bench/cli-start-up.js [runs=10]
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {medianProcessMs, printTable} from './measure.js'

const root = resolve(import.meta.dirname, '../..')
const self = join(root, 'dist/bench/cli-start-up.js')

// Child mode: run one command class through oclif, as bin/run.js would, from the given file.
if (process.argv[2] === '--command') {
  const {default: command} = await import(pathToFileURL(process.argv[3]).href)
  await command.run(process.argv.slice(4), root).catch(() => {})
  process.exit(0)
}

const runs = Number(process.argv[2] ?? 10)
const node = process.execPath
// No local pipeline in this home: each command stops at once, having loaded everything it needs.
const env = {...process.env, XDG_DATA_HOME: join(root, '.bench-tmp/no-pipeline'), NO_COLOR: '1'}
const measure = (args: string[]) => medianProcessMs(node, args, runs, {env})
/** Each command's name and its arguments after the name. */
const commands: [string, string[]][] = [
  ['status', ['--local', 'nothing.json']],
  ['items list', ['--local']],
  ['quarantine list', ['--local']],
]

console.log(`CLI start-up benchmark: median of ${runs} runs, ${process.version}`)
const rows = [
  {name: 'node -e 0', ms: measure(['-e', '0'])},
  {name: 'eventpulse --version (no oclif)', ms: measure([join(root, 'bin/run.js'), '--version'])},
]
for (const [name, args] of commands) {
  const file = `${name.replace(' ', '/')}.js`
  rows.push(
    {name: `${name}: eventpulse (bundled)`, ms: measure([join(root, 'bin/run.js'), ...name.split(' '), ...args])},
    {
      name: `${name}: oclif, bundled command`,
      ms: measure([self, '--command', join(root, 'dist/cli/commands', file), ...args]),
    },
    {
      name: `${name}: oclif, compiled command`,
      ms: measure([self, '--command', join(root, 'dist/src/commands', file), ...args]),
    },
  )
}
printTable('Start-up of a command that stops at once (whole process)', rows, 'node -e 0')
for (const [name] of commands) {
  const bundled = rows.find((row) => row.name === `${name}: oclif, bundled command`)!.ms
  const compiled = rows.find((row) => row.name === `${name}: oclif, compiled command`)!.ms
  console.log(`  ${name}: the bundled command starts in ${(bundled / compiled).toFixed(2)}x the compiled one's time`)
}
