import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {ADMIN_ROLE_HELP, pipelineFlags} from '#cli/pipeline-flags.js'
import {actingAs} from '#aws/target.js'
import {ExitCode} from '#core/exit-codes.js'
import {applyRevert, planRevert} from '#items/revert.js'
import {type AttributeChange, changeLines} from '#record/changes.js'
import {confirmOrRefuse} from '#terminal/confirm.js'
import {resolveTarget, targetNotifier} from '#target/resolve-target.js'

interface RevertResult {
  item: {ArtistID: string; ItemID: string}
  fromVersion: number
  toVersion: number
  changes: AttributeChange[]
  /** The version the revert made (absent with --dry-run, or when declined). */
  newVersion?: number
  dryRun: boolean
  declined: boolean
}

export default class ItemsRevert extends PipelineCommand {
  static summary = 'Restore an earlier version of a stored item, as a new version, after showing the change and asking.'

  static description = `Restores version N (--to; by default the one before the current) from the
item's history as a new version: nothing is lost, the current version is kept
in the history too (\`items history\` lists them all). It shows the change,
attribute by attribute, and asks; --yes skips the question, --dry-run only
shows. The revert is conditional on the item still being the version shown: it
never overwrites a newer change (a conflict: exit 1, code Conflict; see the
history and revert again). It is notified as \`replaced\`.
Exit codes: 0 reverted; 1 no such item or version, a conflict, or you declined;
2 no confirmation possible; 4 AWS or network.
${ADMIN_ROLE_HELP}`

  static examples = [
    {
      description: 'Undo the last change of a track (shows it, asks first)',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe"',
    },
    {
      description: 'Restore version 2 on the local pipeline, without asking',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe" --to 2 --yes --local',
    },
    {
      description: 'See what restoring version 1 would change',
      command: '<%= config.bin %> <%= command.id %> Knock2 "TRACK#FeelULuvMe" --to 1 --dry-run',
    },
  ]

  static args = {
    artist: Args.string({description: 'The ArtistID.', required: true}),
    item: Args.string({description: 'The ItemID, e.g. TRACK#<title> or ALBUM#<title>.', required: true}),
  }

  static flags = {
    ...pipelineFlags('table', 'historyTable', 'processingBucket', 'topicArn'),
    to: Flags.integer({description: 'The version to restore (default: the one before the current).', min: 1}),
    yes: commonFlags.yes,
    'dry-run': commonFlags['dry-run'],
    concurrency: commonFlags.concurrency,
  }

  static destructive = true

  async run(): Promise<RevertResult> {
    const {args, flags} = await this.parse(ItemsRevert)
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      // The topic: the revert is announced as the pipeline announces a replacement (locally in its outbox).
      needs: ['table', 'historyTable', 'processingBucket', 'topicArn'],
      concurrency: flags.concurrency,
    })
    const plan = await planRevert(target, {artistId: args.artist, itemId: args.item}, flags.to)
    const {item, currentVersion: fromVersion, toVersion, changes} = plan
    const result: RevertResult = {
      item,
      fromVersion,
      toVersion,
      changes,
      dryRun: Boolean(flags['dry-run']),
      declined: false,
    }
    const say = (line: string) => this.logToStderr(line)
    const name = `ArtistID "${item.ArtistID}", ItemID "${item.ItemID}"`
    const heading = `${flags['dry-run'] ? 'Would revert' : 'Revert'} ${name} to version ${toVersion}`
    say(`${heading} (version ${fromVersion} now; the revert is version ${fromVersion + 1}):`)
    for (const line of changes.length > 0 ? changeLines(changes) : ['(the records are the same)']) say(`    ${line}`)
    if (flags['dry-run']) return result
    const question = `Store version ${toVersion}'s record as version ${fromVersion + 1}?`
    if (!(await confirmOrRefuse(question, {yes: flags.yes, action: 'revert an item'}))) {
      say('Nothing reverted.')
      this.exitStatus = ExitCode.Negative
      return {...result, declined: true}
    }
    await applyRevert({target, notifier: await targetNotifier(target), by: actingAs(target, 'quarantineAdmin')}, plan)
    this.log(`Reverted ${name}: version ${fromVersion + 1} is version ${toVersion}'s record.`)
    return {...result, newVersion: fromVersion + 1}
  }
}
