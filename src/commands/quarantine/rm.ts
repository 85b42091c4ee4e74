import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {commonFlags} from '#cli/common-flags.js'
import {QUARANTINE_RETENTION_DAYS} from '#contract/pipeline-contract.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {deleteEntry, purgeEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, entriesActionOptions, lineFlag, quarantineFlags} from '#cli/quarantine-flags.js'
import {interruptible} from '#core/interrupt.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

export default class QuarantineRm extends PipelineCommand {
  static summary = 'Delete quarantined objects, after showing them and asking.'

  static description = `Lists the entries that will be deleted and asks for confirmation; --yes skips
the question. Without a terminal and without --yes it refuses (exit 2).
A key with nothing in quarantine is reported and not asked about.
The quarantine bucket is versioned: a deleted entry stays recoverable for
${QUARANTINE_RETENTION_DAYS} days as a noncurrent version, then expires. --purge
deletes every version at once (asked separately; it cannot be undone). It also
finds entries deleted before whose older versions remain, so a purge cut short
is finished by running it again.
Exit codes: 0 deleted; 1 a key was not in quarantine, or you declined; 2 no
confirmation possible; 4 a deletion failed; 130 Ctrl-C.
${ADMIN_ROLE_HELP}`

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
      description: 'Delete every version of an entry, so that nothing of it can be recovered',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --purge',
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
    ...lineFlag,
    yes: commonFlags.yes,
    'dry-run': commonFlags['dry-run'],
    purge: Flags.boolean({description: 'Delete every version of the entries: nothing stays recoverable.'}),
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
    const resolved = await resolveEntryArguments(target, argv as string[], {line: flags.line, deleted: flags.purge})
    const result = await interruptible((signal) =>
      actOnEntries(
        target,
        resolved,
        flags.purge
          ? {
              verb: 'purge',
              pastTense: 'purged',
              caution: 'every version; this cannot be undone',
              act: (entry) => purgeEntry(target.s3, bucket, entry),
            }
          : {verb: 'delete', pastTense: 'deleted', act: (entry) => deleteEntry(target.s3, bucket, entry)},
        entriesActionOptions(flags, signal, (line) => this.logToStderr(line)),
      ),
    )
    this.exitStatus = entriesActionExitStatus(result)
    if (!flags.purge && result.done.length > 0)
      this.logToStderr(
        `Deleted entries stay recoverable for ${QUARANTINE_RETENTION_DAYS} days as noncurrent versions; ` +
          '--purge deletes every version.',
      )
    return result
  }
}
