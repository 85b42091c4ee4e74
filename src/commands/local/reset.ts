import {BaseCommand} from '#cli/base-command.js'
import {confirmOrRefuse} from '#terminal/confirm.js'
import {commonFlags} from '#cli/common-flags.js'
import {assertLocalPipelineStopped, hasLocalData, wipeLocalData} from '#local/reset.js'
import {localDataRoot} from '#local/state.js'
import {ExitCode} from '#core/exit-codes.js'

export interface LocalResetResult {
  dataDir: string
  deleted: boolean
  declined?: boolean
}

export default class LocalReset extends BaseCommand {
  static summary = "Delete the local pipeline's objects, items, quarantine, outbox and dead letters."

  static description = `Asks for confirmation first (--yes skips the question; with no terminal, --yes
is required).
Refuses while the local pipeline runs: stop it with Ctrl-C first.
Exit codes: 0 deleted (or nothing to delete); 1 you declined; 2 it runs, or no
terminal to confirm on; 130 Ctrl-C.`

  static examples = [
    {description: 'Wipe it, after a confirmation', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'In a script', command: '<%= config.bin %> <%= command.id %> --yes'},
  ]

  static usesAws = false

  static destructive = true

  static flags = {yes: commonFlags.yes}

  async run(): Promise<LocalResetResult> {
    const {flags} = await this.parse(LocalReset)
    const dataDir = localDataRoot()
    if (!(await hasLocalData(dataDir))) {
      this.log(`Nothing to delete: ${dataDir} holds no local pipeline data.`)
      return {dataDir, deleted: false}
    }
    assertLocalPipelineStopped(dataDir)
    if (
      !(await confirmOrRefuse(`Delete all local pipeline data in ${dataDir}?`, {
        yes: flags.yes,
        action: 'wipe the local pipeline data',
      }))
    ) {
      this.log('Nothing deleted.')
      this.exitStatus = ExitCode.Negative
      return {dataDir, deleted: false, declined: true}
    }
    await wipeLocalData(dataDir)
    this.log(`Deleted ${dataDir}.`)
    return {dataDir, deleted: true}
  }
}
