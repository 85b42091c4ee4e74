import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resolveTarget} from '#target/resolve-target.js'
import {ExitCode} from '#core/exit-codes.js'
import {type QuarantineEntry, resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, lineFlag, quarantineFlags} from '#cli/quarantine-flags.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

export default class QuarantineCheck extends PipelineCommand {
  static summary = 'Tell whether a key is in quarantine, and why: exit 0 if it is, 1 if not.'

  static description = `Made for scripts: exit 0 and the recorded reason when the key has a quarantine
entry, exit 1 when it has none.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Is it quarantined?', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'In a script',
      command: 'if <%= config.bin %> <%= command.id %> "$KEY" --json > reason.json; then echo quarantined; fi',
    },
  ]

  static args = {key: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {...quarantineFlags, ...lineFlag}

  async run(): Promise<{key: string; quarantined: boolean; reason?: string; entries: QuarantineEntry[]}> {
    const {args, flags} = await this.parse(QuarantineCheck)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket'],
      concurrency: flags.concurrency,
    })
    const [{entries}] = await resolveEntryArguments(target, [args.key], {line: flags.line})
    if (entries.length === 0) {
      this.exitStatus = ExitCode.Negative
      this.log(`not quarantined: ${args.key}`)
      return {key: args.key, quarantined: false, entries}
    }
    for (const entry of entries) this.log(`quarantined: ${entryLine(entry)}`)
    return {key: args.key, quarantined: true, reason: entries[0].reason, entries}
  }
}
