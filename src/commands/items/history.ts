import {Args} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {pipelineFlags} from '#cli/pipeline-flags.js'
import {ExitCode} from '#core/exit-codes.js'
import {itemHistory, type ItemVersion} from '#items/history.js'
import {changeLines} from '#record/changes.js'
import {resolveTarget} from '#target/resolve-target.js'

export default class ItemsHistory extends PipelineCommand {
  static summary = 'List the versions of a stored item, newest first, each with what changed.'

  static description = `An item gets a new version each time it is replaced: by \`upload --replace\`,
an accepted duplicate or a revert. Each version is listed with when it was made,
by what (the upload's key and ETag, and line of a batch) and by whom where known
(the role session name; locally the role), and what changed from the version
before it, attribute by attribute. Earlier versions are kept for the stack's
history retention (default 365 days). Runs as the uploader role. Exit codes: 0
found; 1 no such item.`

  static examples = [
    {
      description: 'The versions of one track',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe"',
    },
    {
      description: 'On the local pipeline, as JSON',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe" --local --json',
    },
  ]

  static args = {
    artist: Args.string({description: 'The ArtistID.', required: true}),
    item: Args.string({description: 'The ItemID, e.g. TRACK#<title> or ALBUM#<title>.', required: true}),
  }

  static flags = {...pipelineFlags('table', 'historyTable'), concurrency: commonFlags.concurrency}

  async run(): Promise<{found: boolean; versions?: ItemVersion[]}> {
    const {args, flags} = await this.parse(ItemsHistory)
    const target = await resolveTarget(flags, {
      role: 'uploader',
      needs: ['table', 'historyTable'],
      concurrency: flags.concurrency,
    })
    const versions = await itemHistory(target, {artistId: args.artist, itemId: args.item})
    if (!versions) {
      this.exitStatus = ExitCode.Negative
      this.logToStderr(`No item stored under ArtistID "${args.artist}", ItemID "${args.item}".`)
      return {found: false}
    }
    for (const version of versions) {
      this.log(versionLine(version))
      for (const line of changeLines(version.changes)) this.log(`    ${line}`)
    }
    return {found: true, versions}
  }
}

function versionLine(version: ItemVersion): string {
  const source = version.source
    ? ` from ${version.source.key}${version.source.line ? ` line ${version.source.line}` : ''}`
    : ''
  const by = version.by ? ` by ${version.by}` : ''
  const current = version.current ? ' (current)' : ''
  return `v${version.version}${current}  ${version.change} ${version.at ?? 'at an unknown time'}${source}${by}`
}
