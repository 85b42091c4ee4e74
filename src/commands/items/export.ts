import {once} from 'node:events'

import {Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {itemsFlags, scanNote} from '#cli/items-flags.js'
import {usageError} from '#core/errors.js'
import {listItems} from '#items/read-items.js'
import {resolveTarget} from '#target/resolve-target.js'

export default class ItemsExport extends PipelineCommand {
  static summary = "Export stored items as NDJSON: one artist's, or with --all the whole table."

  static description = `Writes one record per line on stdout, plain JSON or typed with --typed, without
the pipeline's metadata: exactly what \`upload\` takes back as a batch file
(save it as *.ndjson). Without --artist, --all is required: a Scan reads, and
bills, every item. The count goes to stderr. Runs as the uploader role.`

  static examples = [
    {
      description: "An artist's items to a file",
      command: '<%= config.bin %> <%= command.id %> --artist Knock2 > knock2.ndjson',
    },
    {
      description: 'The whole local table, typed, then back in',
      command:
        '<%= config.bin %> <%= command.id %> --all --typed --local > catalog.ndjson && <%= config.bin %> upload catalog.ndjson --local',
    },
  ]

  // stdout is the NDJSON itself: no second document on it.
  static enableJsonFlag = false

  static noJsonReason = 'its output is NDJSON already, one record per line (the count goes to stderr)'

  static flags = {
    ...itemsFlags,
    artist: Flags.string({description: 'Only this ArtistID (a Query).', exclusive: ['all']}),
    all: Flags.boolean({description: 'Scan the whole table (reads, and bills, every item).'}),
  }

  async run(): Promise<{count: number}> {
    const {flags} = await this.parse(ItemsExport)
    if (!flags.artist && !flags.all)
      throw usageError('Say whose items to export.', 'Pass --artist NAME, or --all to scan the whole table.')
    const target = await resolveTarget(flags, {role: 'uploader', needs: ['table'], concurrency: flags.concurrency})
    if (flags.all) this.logToStderr(scanNote(target))
    let count = 0
    for await (const item of listItems(target, {artistId: flags.artist, typed: flags.typed})) {
      // Respects the pipe's back-pressure: a large table is never held in memory.
      if (!process.stdout.write(JSON.stringify(item.record) + '\n')) await once(process.stdout, 'drain')
      count++
    }
    this.logToStderr(`${count} ${count === 1 ? 'item' : 'items'} exported.`)
    return {count}
  }
}
