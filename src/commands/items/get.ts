import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {itemsFlags} from '#cli/items-flags.js'
import {ExitCode} from '#core/exit-codes.js'
import {getItem, type StoredItem} from '#items/read-items.js'
import {resolveTarget} from '#target/resolve-target.js'

export default class ItemsGet extends PipelineCommand {
  static summary = 'Show the item stored under an ArtistID and ItemID.'

  static description = `Prints the record as it was stored (plain JSON; --typed for DynamoDB JSON)
on stdout, and on stderr which upload it came from and when. Runs as the
uploader role. Exit codes: 0 found; 1 no such item.`

  static examples = [
    {
      description: 'One track',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe"',
    },
    {
      description: 'On the local pipeline, typed, as JSON',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe" --typed --local --json',
    },
  ]

  static args = {
    artist: Args.string({description: 'The ArtistID.', required: true}),
    item: Args.string({description: 'The ItemID, e.g. TRACK#<title> or ALBUM#<title>.', required: true}),
  }

  static flags = itemsFlags

  async run(): Promise<{found: boolean; item?: StoredItem}> {
    const {args, flags} = await this.parse(ItemsGet)
    const target = await resolveTarget(flags, {role: 'uploader', needs: ['table'], concurrency: flags.concurrency})
    const item = await getItem(target, {artistId: args.artist, itemId: args.item}, {typed: flags.typed})
    if (!item) {
      this.exitStatus = ExitCode.Negative
      this.logToStderr(`No item stored under ArtistID "${args.artist}", ItemID "${args.item}".`)
      return {found: false}
    }
    this.log(JSON.stringify(item.record, null, 2))
    this.logToStderr(`from ${item.sourceKey ?? 'an unknown upload'}, stored ${item.ingestedAt ?? 'at an unknown time'}`)
    return {found: true, item}
  }
}
