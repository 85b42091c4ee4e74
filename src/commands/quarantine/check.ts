import {Args} from '@oclif/core'

import {PipelineCommand} from '../../lib/aws/pipeline-command.js'
import {resolveTarget, resource} from '../../lib/aws/target.js'
import {ExitCode} from '../../lib/exit-codes.js'
import {type QuarantineEntry, resolveEntryArguments} from '../../lib/quarantine/entries.js'
import {entryArgumentDescription, quarantineFlags} from '../../lib/quarantine/flags.js'
import {entryLine} from '../../lib/quarantine/format.js'

export default class QuarantineCheck extends PipelineCommand {
  static summary = 'Tell whether a key is in quarantine, and why: exit 0 if it is, 1 if not.'

  static description = `Made for scripts: exit 0 and the recorded reason when the key has a quarantine entry, exit 1 when it has none.`

  static examples = [
    {description: 'Is it quarantined?', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {description: 'In a script', command: 'if <%= config.bin %> <%= command.id %> "$KEY" --json > reason.json; then echo quarantined; fi'},
  ]

  static args = {key: Args.string({description: entryArgumentDescription, required: true})}

  static flags = quarantineFlags

  async run(): Promise<{key: string; quarantined: boolean; reason?: string; entries: QuarantineEntry[]}> {
    const {args, flags} = await this.parse(QuarantineCheck)
    const target = await resolveTarget(flags, {role: 'quarantineAdmin', needs: ['quarantineBucket'], maxSockets: flags.concurrency})
    const [{entries}] = await resolveEntryArguments(target.s3, resource(target, 'quarantineBucket'), [args.key], flags.concurrency)
    if (entries.length === 0) {
      this.exitStatus = ExitCode.Negative
      this.log(`not quarantined: ${args.key}`)
      return {key: args.key, quarantined: false, entries}
    }
    for (const entry of entries) this.log(`quarantined: ${entryLine(entry)}`)
    return {key: args.key, quarantined: true, reason: entries[0].reason, entries}
  }
}
