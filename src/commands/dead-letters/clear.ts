import {PipelineCommand} from '#cli/pipeline-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {deadLettersFlags, deadLettersTargetRequest} from '#cli/dead-letters-flags.js'
import {type ClearResult, clearDeadLetters, clearExitStatus} from '#dead-letters/clear.js'
import {deadLetterSource} from '#dead-letters/source.js'
import {resolveTarget} from '#target/resolve-target.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

export default class DeadLettersClear extends PipelineCommand {
  static summary = 'Remove dead letters whose objects no longer wait, after showing them and asking.'

  static description = `Lists the dead letters as \`dead-letters list\` does. Those with an object still
waiting in the processing bucket are kept and named: the sweep, or a redrive,
handles them. Letters that are not S3 events are kept too. The others (their
objects stored, quarantined or deleted since, or a newer upload waiting in
their place) are shown, then removed once you confirm; --yes skips the
question. Without a terminal and without --yes it refuses (exit 2). On AWS,
each message is removed with the receipt handle of a fresh read, made after
the answer. With --local, the running \`local start\` rewrites its own file.
Exit codes: 0 removed (or nothing to remove); 1 you declined; 2 no
confirmation possible; 4 a removal failed.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Remove what is done with (asks first)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {
      description: 'On the local pipeline, without asking',
      command: '<%= config.bin %> <%= command.id %> --local --yes',
    },
  ]

  static destructive = true

  static flags = {...deadLettersFlags, yes: commonFlags.yes, 'dry-run': commonFlags['dry-run']}

  async run(): Promise<ClearResult> {
    const {flags} = await this.parse(DeadLettersClear)
    const target = await resolveTarget(flags, deadLettersTargetRequest(flags))
    const result = await clearDeadLetters(target, deadLetterSource(target), {
      yes: flags.yes,
      dryRun: flags['dry-run'],
      say: (line) => this.logToStderr(line),
    })
    this.exitStatus = clearExitStatus(result)
    return result
  }
}
