import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {afterDemoLines, type DemoResult, runDemo} from '#demo/run-demo.js'
import {ExitCode} from '#core/exit-codes.js'
import {createProgress} from '#terminal/progress.js'
import {parseDuration} from '#core/duration.js'
import {interruptible} from '#core/interrupt.js'
import {commonFlags} from '#cli/common-flags.js'

export default class Demo extends BaseCommand {
  static summary = 'Run the whole pipeline once, locally, on the shipped examples (no AWS account).'

  static description = `Starts the local pipeline in a temporary directory (so it never touches one
started with \`eventpulse local start\`, which may keep running), uploads the
examples shipped with eventpulse (valid records, invalid ones, and a duplicate),
waits for each outcome, prints what was stored and what was quarantined and why,
and stops the pipeline; then it says how to see the same with the other
commands, through \`eventpulse local start\` and --local.
Exit 0 when every example ended as expected, 1 when one did not, 130 on Ctrl-C.`

  static examples = [
    {description: 'The demo', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Keep the pipeline data afterwards to look at',
      command: '<%= config.bin %> <%= command.id %> --keep',
    },
    {description: 'The outcome as JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static flags = {
    keep: Flags.boolean({description: 'Keep the temporary pipeline data directory (its path is printed).'}),
    timeout: Flags.string({description: 'How long to wait for the outcomes (e.g. 60s, 2m).', default: '2m'}),
    quiet: commonFlags.quiet,
  }

  async run(): Promise<DemoResult & {dataDir: string}> {
    const {flags} = await this.parse(Demo)
    const result = await interruptible((signal) =>
      runDemo({
        say: (line) => {
          if (!flags.quiet) this.log(line)
        },
        important: (line) => this.log(line),
        progress: (total, label) => createProgress({total, label, silent: this.jsonEnabled() || flags.quiet}),
        timeoutMs: parseDuration(flags.timeout, '--timeout') * 1000,
        keepDataDir: flags.keep,
        signal,
      }),
    )
    if (flags.keep) this.log(`Pipeline data kept in ${result.dataDir}`)
    if (!flags.quiet) for (const line of afterDemoLines()) this.log(line)
    if (!result.asExpected) this.exitStatus = ExitCode.Negative
    return result
  }
}
