import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {ExitCode} from '#core/exit-codes.js'
import {clearDamaged, damagedLines, type DamagedObject, readDamaged} from '#local/damaged.js'
import {localDataRoot, localLayout} from '#local/state.js'
import {confirmOrRefuse} from '#terminal/confirm.js'

export interface LocalDamagedResult {
  directory: string
  count: number
  objects: DamagedObject[]
  cleared: boolean
  declined?: boolean
}

export default class LocalDamaged extends BaseCommand {
  static summary = 'List what crashes left half-written (set aside at start); --clear removes it.'

  static description = `A crash of the local pipeline in the middle of a write leaves that object
half-written. Its writer was never told it succeeded (so nothing acknowledged is
lost), and the next \`local start\` moves it out of its bucket into damaged/ in the
data directory. This lists them: when, bucket, key and why.
--clear removes them after listing them and asking (--yes skips the question;
with no terminal, --yes is required). Only what was listed is removed.
Exit codes: 0 listed or removed (or nothing there); 1 you declined; 2 no
terminal to confirm on.`

  static examples = [
    {description: 'What crashes left', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Remove them, after a confirmation', command: '<%= config.bin %> <%= command.id %> --clear'},
    {description: 'In a script', command: '<%= config.bin %> <%= command.id %> --clear --yes --json'},
  ]

  static usesAws = false

  static destructive = true

  static flags = {
    clear: Flags.boolean({description: 'Remove what is listed, after asking.', default: false}),
    yes: commonFlags.yes,
  }

  async run(): Promise<LocalDamagedResult> {
    const {flags} = await this.parse(LocalDamaged)
    const damaged = await readDamaged(localLayout(localDataRoot()).damagedDirectory)
    const result = {directory: damaged.directory, count: damaged.objects.length, objects: damaged.objects}
    if (damaged.objects.length === 0) {
      this.log(`Nothing set aside: ${damaged.directory} holds no damaged objects.`)
      return {...result, cleared: false}
    }
    for (const line of damagedLines(damaged)) this.log(line)
    if (!flags.clear) return {...result, cleared: false}
    const question = `Remove these ${damaged.objects.length} damaged object(s)?`
    if (!(await confirmOrRefuse(question, {yes: flags.yes, action: 'remove the damaged objects'}))) {
      this.log('Nothing removed.')
      this.exitStatus = ExitCode.Negative
      return {...result, cleared: false, declined: true}
    }
    await clearDamaged(damaged)
    this.log(`Removed ${damaged.objects.length} damaged object(s).`)
    return {...result, cleared: true}
  }
}
