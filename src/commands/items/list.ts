import {Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {itemsFlags, scanNote} from '#cli/items-flags.js'
import {usageError} from '#core/errors.js'
import {listItems, type StoredItem} from '#items/read-items.js'
import {resolveTarget} from '#target/resolve-target.js'

export default class ItemsList extends PipelineCommand {
  static summary = "List stored items: one artist's (a Query), or with --all all of them (a Scan)."

  static description = `Prints one line per item on stdout: ArtistID, ItemID and the record as
compact JSON. Pages past DynamoDB's 1 MB pages until --limit. Without --artist,
--all is required: a Scan reads every item of the table, and on-demand tables
bill each read. Runs as the uploader role.`

  static examples = [
    {description: "An artist's items", command: '<%= config.bin %> <%= command.id %> --artist Knock2'},
    {
      description: "An artist's tracks, at most 10",
      command: '<%= config.bin %> <%= command.id %> --artist Knock2 --prefix "TRACK#" --limit 10',
    },
    {description: 'Everything, as JSON', command: '<%= config.bin %> <%= command.id %> --all --local --json'},
  ]

  static flags = {
    ...itemsFlags,
    artist: Flags.string({description: 'Only this ArtistID (a Query).', exclusive: ['all']}),
    prefix: Flags.string({description: 'Only ItemIDs starting with this, e.g. "TRACK#" (needs --artist).'}),
    all: Flags.boolean({description: 'Scan the whole table (reads, and bills, every item).'}),
    limit: Flags.integer({description: 'List at most this many items.', min: 1}),
  }

  async run(): Promise<{count: number; items: StoredItem[]}> {
    const {flags} = await this.parse(ItemsList)
    if (!flags.artist && !flags.all)
      throw usageError('Say whose items to list.', 'Pass --artist NAME, or --all to scan the whole table.')
    if (flags.prefix && !flags.artist) throw usageError('--prefix needs --artist.', 'Pass --artist NAME as well.')
    const target = await resolveTarget(flags, {role: 'uploader', needs: ['table'], concurrency: flags.concurrency})
    if (flags.all) this.logToStderr(scanNote(target))
    const items: StoredItem[] = []
    for await (const item of listItems(target, {
      artistId: flags.artist,
      itemPrefix: flags.prefix,
      limit: flags.limit,
      typed: flags.typed,
    })) {
      items.push(item)
      if (!this.jsonEnabled()) this.log(`${item.artistId}\t${item.itemId}\t${JSON.stringify(item.record)}`)
    }
    this.logToStderr(`${items.length} ${items.length === 1 ? 'item' : 'items'}.`)
    return {count: items.length, items}
  }
}
