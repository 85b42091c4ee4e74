import {BaseCommand} from '#cli/base-command.js'
import {ExitCode} from '#core/exit-codes.js'
import {outcomesLine, stateLines} from '#local/status-lines.js'
import {damagedLines, type DamagedObject, readDamaged} from '#local/damaged.js'
import {
  localDataRoot,
  localLayout,
  localPipelineStatus,
  type LocalPipelineStatus,
  type ShownState,
  shownState,
} from '#local/state.js'

/** Damaged objects listed by key here; `local damaged` lists them all. */
const DAMAGED_SHOWN = 10

export default class LocalStatus extends BaseCommand {
  static summary = 'Say whether the local pipeline runs, and where.'

  static description = `Shows the process, endpoints, bucket and table names and data directory of the
pipeline \`eventpulse local start\` runs, and what became of uploads since it
started (the counts the processor's metrics give on AWS), and the objects crashes
left half-written that start-up set aside (see \`local damaged\`).
Exit codes: 0 running, 1 not running.`

  static examples = [
    {description: 'Is it running?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Endpoints for scripts', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static usesAws = false

  async run(): Promise<
    (Exclude<LocalPipelineStatus, {running: true}> | {running: true; dataDir: string; state: ShownState}) & {
      damaged: {count: number; objects: DamagedObject[]}
    }
  > {
    await this.parse(LocalStatus)
    const status = localPipelineStatus(localDataRoot())
    const damaged = await readDamaged(localLayout(status.dataDir).damagedDirectory)
    const damagedResult = {damaged: {count: damaged.objects.length, objects: damaged.objects}}
    if (status.running) {
      this.log(`The local pipeline is running (pid ${status.state.pid}, since ${status.state.startedAt}).`)
      for (const line of stateLines(status.state)) this.log(line)
      if (status.state.outcomes) this.log(outcomesLine(status.state.outcomes))
      for (const line of damagedLines(damaged, {limit: DAMAGED_SHOWN})) this.log(line)
      return {...status, state: shownState(status.state), ...damagedResult}
    } else {
      this.exitStatus = ExitCode.Negative
      this.log(
        `The local pipeline is not running${status.staleState ? ' (its last run ended without cleaning up)' : ''}.`,
      )
      this.log(`  Data directory: ${status.dataDir}`)
      for (const line of damagedLines(damaged, {limit: DAMAGED_SHOWN})) this.log(line)
      this.log('Start it with `eventpulse local start`.')
    }
    return {...status, ...damagedResult}
  }
}
