import {isUtf8} from 'node:buffer'
import {writeFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {usageError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {readEntryContent} from '#quarantine/actions.js'
import {type QuarantineEntry, resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, lineFlag, quarantineFlags} from '#cli/quarantine-flags.js'
import {entryLine} from '#quarantine/entry-lines.js'
import {indentJson} from '#record/indent-json.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

type ShownEntry = QuarantineEntry & {content?: string; contentBase64?: string; savedTo?: string}

export default class QuarantineShow extends PipelineCommand {
  static summary = "Show a quarantined object's content and the reason it was quarantined."

  static description = `Shows every entry of a source key (a key quarantined more than once has
several), or the one entry named by its entry key.
A batch object's records are quarantined one entry per line: --line N shows
the entry of line N of that batch, laid out one attribute a line (as a file
packed by \`upload --batch\` was, its line breaks made spaces); --output and
--json give it as stored.
With --json, content that is not UTF-8 is given as contentBase64. Exit 1 when
nothing of that key is in quarantine.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Content and reason', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'Save one entry to a file',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --output track-42.json',
    },
    {
      description: 'The record of line 42 of a batch object',
      command: '<%= config.bin %> <%= command.id %> catalog.ndjson --line 42',
    },
  ]

  static args = {key: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {
    ...quarantineFlags,
    ...lineFlag,
    output: Flags.string({
      char: 'o',
      description: 'Save the content to this file instead of printing it (one entry only).',
    }),
  }

  async run(): Promise<{key: string; entries: ShownEntry[]}> {
    const {args, flags} = await this.parse(QuarantineShow)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket'],
      concurrency: flags.concurrency,
    })
    const bucket = resource(target, 'quarantineBucket')
    const [{entries}] = await resolveEntryArguments(target, [args.key], {line: flags.line})
    if (entries.length === 0) {
      this.exitStatus = ExitCode.Negative
      this.logToStderr(`not quarantined: ${args.key}`)
      return {key: args.key, entries: []}
    }
    if (flags.output && entries.length > 1)
      throw usageError(
        `${args.key} has ${entries.length} quarantine entries; --output saves one.`,
        `Name one entry: ${entries.map((e) => e.key).join(', ')}`,
      )
    const shown: ShownEntry[] = []
    for (const entry of entries) {
      const content = await readEntryContent(target.s3, bucket, entry)
      this.log(`# ${entryLine(entry)}`)
      if (flags.output) {
        await writeFile(flags.output, content)
        this.log(`# saved ${content.length} bytes to ${flags.output}`)
        shown.push({...entry, savedTo: flags.output})
        continue
      }
      if (!this.jsonEnabled()) process.stdout.write(shownContent(entry, content))
      shown.push(
        isUtf8(content)
          ? {...entry, content: content.toString('utf8')}
          : {...entry, contentBase64: content.toString('base64')},
      )
    }
    return {key: args.key, entries: shown}
  }
}

/**
 * The entry as people read it, ending in a line break: a batch line laid out one attribute a line (a pretty-printed
 * file packed into a batch had its line breaks made spaces); anything else, or a line that is not JSON, as it is.
 */
function shownContent(entry: QuarantineEntry, content: Buffer): Buffer {
  const laidOut = entry.line !== undefined && isUtf8(content) ? indentJson(content.toString('utf8').trim()) : undefined
  if (laidOut !== undefined) return Buffer.from(`${laidOut}\n`)
  return content.length > 0 && content.at(-1) !== 0x0a ? Buffer.concat([content, Buffer.from('\n')]) : content
}
