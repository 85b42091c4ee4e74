import {Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {listEntries, type QuarantineEntry} from '#quarantine/entries.js'
import {quarantineFlags} from '#cli/quarantine-flags.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {commonFlags} from '#cli/common-flags.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

export default class QuarantineList extends PipelineCommand {
  static summary = 'List quarantined objects with their size, time and recorded reason.'

  static description = `Each quarantined upload is one entry, <source key>/q-<id>; a key quarantined
more than once shows each entry. A batch's records are entries of their own,
each with its line; a record of a file \`upload --batch\` packed names the
file too (\`line 7  from dir-A/song-1.json\`; \`file\` in --json).
The entry key printed here is what \`quarantine show|rm|release|accept\` take to act on
that one entry.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Everything in quarantine', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Entries of keys under a prefix, at most 20',
      command: '<%= config.bin %> <%= command.id %> --prefix 2024/06/ --limit 20',
    },
    {description: 'On the local pipeline, as JSON', command: '<%= config.bin %> <%= command.id %> --local --json'},
  ]

  static flags = {
    ...quarantineFlags,
    prefix: Flags.string({description: 'Only source keys starting with this.'}),
    limit: Flags.integer({description: 'List at most this many entries (all are counted).', min: 1}),
    quiet: commonFlags.quiet,
  }

  async run(): Promise<{bucket: string; count: number; total: number; entries: QuarantineEntry[]}> {
    const {flags} = await this.parse(QuarantineList)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket'],
      concurrency: flags.concurrency,
    })
    const bucket = resource(target, 'quarantineBucket')
    const {entries, total} = await listEntries(target, {prefix: flags.prefix, limit: flags.limit})
    if (!flags.quiet) for (const entry of entries) this.log(entryLine(entry))
    const under = flags.prefix ? ` under ${flags.prefix}` : ''
    const counted = `${total} ${total === 1 ? 'entry' : 'entries'} in quarantine${under}`
    // On stderr, so that stdout holds only entry lines (for `| wc -l`, `| cut`).
    this.logToStderr(
      entries.length < total ? `Showing ${entries.length} of ${counted} (${bucket}).` : `${counted} (${bucket}).`,
    )
    return {bucket, count: entries.length, total, entries}
  }
}
