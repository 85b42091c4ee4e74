import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {delimiter, join} from 'node:path'

/** Wall time of a whole process, in milliseconds: the median of `runs` runs, after one warm-up run. */
export function medianProcessMs(
  command: string,
  args: string[],
  runs: number,
  options: {cwd?: string; env?: NodeJS.ProcessEnv} = {},
): number {
  const times: number[] = []
  for (let run = 0; run <= runs; run++) {
    const started = process.hrtime.bigint()
    const result = spawnSync(command, args, {
      cwd: options.cwd,
      env: {...process.env, ...options.env},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6
    if (result.error) throw result.error
    if (run > 0) times.push(elapsed)
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

/** Prints rows side by side: name, time, and its ratio to a reference row. */
export function printTable(title: string, rows: {name: string; ms: number}[], reference: string): void {
  const referenceMs = rows.find((row) => row.name === reference)!.ms
  console.log(`\n${title}`)
  for (const row of rows)
    console.log(
      `  ${row.name.padEnd(46)} ${row.ms.toFixed(0).padStart(7)} ms   ` +
        `${(row.ms / referenceMs).toFixed(2)}x ${reference}`,
    )
}

/** Where a command is installed, looked up on the PATH as a shell would; undefined when it is not. */
export function onPath(name: string): string | undefined {
  const directories = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  return directories.map((directory) => join(directory, name)).find((path) => existsSync(path))
}

/** A target a benchmark prints, and whether this run met it, with the figure it was judged by. */
export interface Target {
  target: string
  met: boolean
  measured: string
}

/** Prints each target as met or MISSED, then how many were missed, so that a miss is never left for the reader. */
export function printTargets(targets: Target[]): void {
  console.log('\nTargets')
  for (const {target, met, measured} of targets) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${target} (${measured})`)
  const missed = targets.filter((target) => !target.met).length
  console.log(missed === 0 ? '  Every target met.' : `  ${missed} of ${targets.length} targets MISSED.`)
}
