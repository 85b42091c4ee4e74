import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {usageError} from '#core/errors.js'
import {commonFlags} from '#cli/common-flags.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {releaseEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, quarantineFlags} from '#cli/quarantine-flags.js'
import {splitResolved} from '#quarantine/entry-lines.js'

export default class QuarantineRelease extends PipelineCommand {
  static summary = 'Move quarantined objects back to the processing bucket, to be processed again.'

  static description = `For example after the conflicting item was removed from the table, or the schema
changed. Each entry goes back under its source key and, once written there,
leaves the quarantine.
Same confirmation rules as \`quarantine rm\`. A key quarantined more than once
must be released one entry at a time (they would share the one source key).`

  static examples = [
    {description: 'Release a key (asks first)', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'Release one entry without asking',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --yes',
    },
  ]

  static strict = false

  static args = {keys: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {...quarantineFlags, yes: commonFlags.yes, 'dry-run': commonFlags['dry-run']}

  async run(): Promise<EntriesActionResult> {
    const {argv, flags} = await this.parse(QuarantineRelease)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket', 'processingBucket'],
      concurrency: flags.concurrency,
    })
    const buckets = {quarantine: resource(target, 'quarantineBucket'), processing: resource(target, 'processingBucket')}
    const resolved = await resolveEntryArguments(target, argv as string[])
    const {entries} = splitResolved(resolved)
    const bySource = new Map<string, string[]>()
    for (const entry of entries) bySource.set(entry.sourceKey, [...(bySource.get(entry.sourceKey) ?? []), entry.key])
    const ambiguous = [...bySource].filter(([, keys]) => keys.length > 1)
    if (ambiguous.length > 0)
      throw usageError(
        `${ambiguous.map(([key]) => key).join(', ')} ${ambiguous.length === 1 ? 'has' : 'have'} ` +
          `several quarantine entries; release one at a time.`,
        `Name one entry: ${ambiguous.flatMap(([, keys]) => keys).join(', ')}`,
      )
    const result = await actOnEntries(
      target,
      resolved,
      {verb: 'release', pastTense: 'released', act: (entry) => releaseEntry(target.s3, buckets, entry)},
      {
        yes: flags.yes,
        dryRun: flags['dry-run'],
        say: (line) => this.logToStderr(line),
        warn: (line) => this.logToStderr(line),
      },
    )
    this.exitStatus = entriesActionExitStatus(result)
    return result
  }
}
