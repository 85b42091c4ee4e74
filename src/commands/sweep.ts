import {PipelineCommand} from '#cli/pipeline-command.js'
import {ADMIN_ROLE_HELP, pipelineFlags} from '#cli/pipeline-flags.js'
import {askToSweep} from '#local/control.js'
import {readLocalPipeline} from '#local/state.js'
import type {SweepResult} from '#processor/sweep.js'
import {sweepLines, sweepOnAws} from '#sweep/run-sweep.js'
import {resolveTarget} from '#target/resolve-target.js'

export default class Sweep extends PipelineCommand {
  static summary = 'Sweep the processing bucket now, and say what was recovered.'

  static description = `Runs the sweep that otherwise runs on a schedule: each object older than the
stuck age that still waits in the processing bucket (its event never came) is
processed as its event would have been, up to 500 a run; one that keeps
failing is given up on after 3 tries and dead-lettered. On AWS it invokes the
processor in sweep mode and waits for it, as the quarantine-admin role. With
--local it asks the running \`local start\` to sweep through its own dispatcher.
Exit codes: 0 the sweep ran (its counts say what it did); 2 no local pipeline
runs (--local); 4 the sweep failed, or AWS or the network did.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Sweep the deployed stack now', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Sweep the local pipeline, as JSON', command: '<%= config.bin %> <%= command.id %> --local --json'},
  ]

  static flags = pipelineFlags('processorFunctionName')

  async run(): Promise<SweepResult> {
    const {flags} = await this.parse(Sweep)
    const result = flags.local
      ? await askToSweep(readLocalPipeline())
      : await sweepOnAws(await resolveTarget(flags, {role: 'quarantineAdmin', needs: ['processorFunctionName']}))
    for (const line of sweepLines(result)) this.log(line)
    return result
  }
}
