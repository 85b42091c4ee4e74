import {readFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {usageError} from '#core/errors.js'
import {parseDuration} from '#core/duration.js'
import type {EntriesActionResult} from '#quarantine/act-on-entries.js'
import {refuseInvalidMended, releaseMended} from '#quarantine/mend.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, releaseFlags, releaseTargetRequest} from '#cli/quarantine-flags.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'
import {oneEntryPerSourceKey, splitResolved} from '#quarantine/entry-lines.js'
import type {KeyStatus} from '#status/key-status.js'
import {releaseAndFollow} from '#status/follow-released.js'
import {targetArguments} from '#aws/target-flags.js'

export default class QuarantineFix extends PipelineCommand {
  static summary = 'Release a mended record in place of a quarantined one, once it is valid.'

  static description = `The mending \`quarantine review\` does in an editor, without a terminal: save
the entry (\`quarantine show KEY --output FILE\`), mend the file, then fix.
The mended record is checked first with the pipeline's own record check: if
it is invalid, its problems are listed (file:line:column) and nothing changes
(exit 1). A valid one goes back under the entry's source key, to be processed
again, and the entry is removed once it is there. A batch's record (--line N)
goes back as a batch of one line, as \`quarantine release\` puts it back.
Same confirmation rules as \`quarantine release\`; --wait follows the mended
record to its outcome.
Exit codes: 0 released (and stored, with --wait); 1 the mended record is
invalid, the key is not in quarantine, you declined, or (--wait) it was
quarantined again; 2 the file cannot be read, or the key has several entries;
4 the release failed or --wait timed out; 130 Ctrl-C.
${ADMIN_ROLE_HELP}`

  static examples = [
    {
      description: 'Release a mended copy of an entry in its place (asks first)',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json --file track-42.json',
    },
    {
      description: 'Line 4 of a batch, without asking, and wait until it is stored',
      command: '<%= config.bin %> <%= command.id %> catalog.ndjson --line 4 --file line-4.json --yes --wait',
    },
    {
      description: 'Only check the mended record and show what would be released',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json --file track-42.json --dry-run',
    },
  ]

  static destructive = true

  static args = {key: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {
    ...releaseFlags,
    file: Flags.string({char: 'f', description: 'The mended record (one JSON object).', required: true}),
  }

  async run(): Promise<EntriesActionResult & {outcomes?: KeyStatus[]}> {
    const {args, flags} = await this.parse(QuarantineFix)
    const timeoutMs = parseDuration(flags.timeout, '--timeout') * 1000
    const bytes = await readFile(flags.file).catch((error: NodeJS.ErrnoException) => {
      throw usageError(
        `Cannot read ${flags.file}: ${error.code ?? error.message}.`,
        'Give the mended record with --file.',
      )
    })
    const mended = {file: flags.file, bytes}
    const target = await resolveTarget(flags, releaseTargetRequest(flags))
    const buckets = {quarantine: resource(target, 'quarantineBucket'), processing: resource(target, 'processingBucket')}
    const resolved = await resolveEntryArguments(target, [args.key], {line: flags.line})
    const {entries} = splitResolved(resolved)
    oneEntryPerSourceKey(entries, 'fix')
    // Checked before anything is asked or done: an invalid record changes nothing.
    for (const entry of entries) refuseInvalidMended(entry, mended)
    const {result, exitStatus} = await releaseAndFollow(
      target,
      resolved,
      {
        verb: `release ${flags.file} in place of`,
        pastTense: `released ${flags.file} in place of`,
        release: (entry) => releaseMended(target.s3, buckets, entry, mended, targetArguments(flags)),
      },
      {flags, timeoutMs, output: this},
    )
    this.exitStatus = exitStatus
    return result
  }
}
