import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import type {EntriesActionResult} from '#quarantine/act-on-entries.js'
import {releaseEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, releaseFlags, releaseTargetRequest} from '#cli/quarantine-flags.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'
import {oneEntryPerSourceKey, splitResolved} from '#quarantine/entry-lines.js'
import {parseDuration} from '#core/duration.js'
import type {KeyStatus} from '#status/key-status.js'
import {releaseAndFollow} from '#status/follow-released.js'
import {targetArguments} from '#aws/target-flags.js'

export default class QuarantineRelease extends PipelineCommand {
  static summary = 'Move quarantined objects back to the processing bucket, to be processed again.'

  static description = `For example after the conflicting item was removed from the table, or the schema
changed. Each entry goes back under its source key and, once written there,
leaves the quarantine.
Same confirmation rules as \`quarantine rm\`. A key quarantined more than once
must be released one entry at a time (they would share the one source key).
A batch object's record is released alone (--line N picks it among the batch's
entries): it goes back under the batch's key as a batch of one record.
--wait follows each released object to its outcome, as \`upload --wait\` does.
Exit codes: 0 released (and stored, with --wait); 1 a key was not in quarantine,
you declined, or (--wait) it was quarantined again; 4 a release failed or --wait
timed out; 130 Ctrl-C.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Release a key (asks first)', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'Release one entry without asking',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --yes',
    },
    {
      description: 'Release a key and wait until it is stored (or quarantined again)',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json --yes --wait',
    },
  ]

  static strict = false

  static destructive = true

  static args = {keys: Args.string({description: entryArgumentDescription, required: true})}

  static flags = releaseFlags

  async run(): Promise<EntriesActionResult & {outcomes?: KeyStatus[]}> {
    const {argv, flags} = await this.parse(QuarantineRelease)
    const timeoutMs = parseDuration(flags.timeout, '--timeout') * 1000
    const target = await resolveTarget(flags, releaseTargetRequest(flags))
    const buckets = {quarantine: resource(target, 'quarantineBucket'), processing: resource(target, 'processingBucket')}
    const resolved = await resolveEntryArguments(target, argv as string[], {line: flags.line})
    const {entries} = splitResolved(resolved)
    oneEntryPerSourceKey(entries, 'release')
    const {result, exitStatus} = await releaseAndFollow(
      target,
      resolved,
      {
        verb: 'release',
        pastTense: 'released',
        release: (entry) => releaseEntry(target.s3, buckets, entry, targetArguments(flags)),
      },
      {flags, timeoutMs, output: this},
    )
    this.exitStatus = exitStatus
    return result
  }
}
