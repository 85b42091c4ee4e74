import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {commonFlags} from '#cli/common-flags.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {deleteEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, quarantineFlags} from '#cli/quarantine-flags.js'
import {interruptible} from '#core/interrupt.js'

export default class QuarantineRm extends PipelineCommand {
  static summary = 'Delete quarantined objects, after showing them and asking.'

  static description = `Lists the entries that will be deleted and asks for confirmation; --yes skips the question. Without a terminal and without --yes it refuses (exit 2).
A key with nothing in quarantine is reported and not asked about. Exit codes: 0 deleted; 1 a key was not in quarantine, or you declined; 2 no confirmation possible; 4 a deletion failed; 130 Ctrl-C.`

  static examples = [
    {
      description: 'Delete all entries of a key (asks first)',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json',
    },
    {
      description: 'Delete one entry without asking',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --yes',
    },
    {
      description: 'See what would be deleted',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json --dry-run',
    },
  ]

  static strict = false

  static destructive = true

  static args = {keys: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {
    ...quarantineFlags,
    yes: commonFlags.yes,
    'dry-run': commonFlags['dry-run'],
    quiet: commonFlags.quiet,
  }

  async run(): Promise<EntriesActionResult> {
    const {argv, flags} = await this.parse(QuarantineRm)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket'],
      concurrency: flags.concurrency,
    })
    const bucket = resource(target, 'quarantineBucket')
    const resolved = await resolveEntryArguments(target, argv as string[])
    const result = await interruptible((signal) =>
      actOnEntries(
        target,
        resolved,
        {verb: 'delete', pastTense: 'deleted', act: (entry) => deleteEntry(target.s3, bucket, entry)},
        {
          yes: flags.yes,
          dryRun: flags['dry-run'],
          quiet: flags.quiet,
          signal,
          say: (line) => this.logToStderr(line),
          warn: (line) => this.logToStderr(line),
        },
      ),
    )
    this.exitStatus = entriesActionExitStatus(result)
    return result
  }
}
