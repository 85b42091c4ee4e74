import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {readConfigFile, resolveDeployConfig} from '#deploy/config.js'
import {type DestroyOutcome, destroyStack} from '#deploy/destroy.js'
import {defaultAssemblyDir} from '#deploy/dry-run.js'
import {configFlags, givenFlags, stackTargetFlags} from '#cli/deploy-flags.js'
import {ExitCode} from '#core/exit-codes.js'

export default class Destroy extends BaseCommand {
  static summary = 'Delete the EventPulse stack; its data is kept unless you choose otherwise.'

  static description = `Asks you to type the stack name (or --yes), and says plainly which data stays:
by default the buckets, the table, the notifications key and the logs are
retained, and remain in your account.
With --destroy-data (for a stack deployed with --destroy-data-on-delete), every
object version is deleted from both buckets by the CLI first, then the stack
with its table and buckets.
Exit codes: 0 deleted; 1 you declined; 2 usage (or no terminal to confirm on);
3 credentials; 4 AWS failure.`

  static destructive = true

  static examples = [
    {description: 'Delete the stack, keep the data', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Delete another stack in another region',
      command: '<%= config.bin %> <%= command.id %> --stack EventPulseDev --region us-east-1',
    },
    {
      description: 'Delete a throwaway stack and every object and item in it, without asking',
      command: '<%= config.bin %> <%= command.id %> --stack EventPulseDev --destroy-data --yes',
    },
    {
      description: 'The stack named in a configuration file',
      command: '<%= config.bin %> <%= command.id %> --config eventpulse.config.json',
    },
  ]

  static flags = {
    ...stackTargetFlags,
    'destroy-data': Flags.boolean({
      description:
        'Also delete the data: empty both buckets (every version), then delete them and the table with the stack.',
    }),
  }

  async run(): Promise<DestroyOutcome> {
    const {flags, raw} = await this.parse(Destroy)
    const file = flags.config ? await readConfigFile(flags.config) : {}
    const config = resolveDeployConfig(configFlags(flags, givenFlags(raw)), file)
    const outcome = await destroyStack({
      config,
      destroyData: flags['destroy-data'],
      yes: flags.yes,
      assemblyDir: defaultAssemblyDir(config.stackName),
      verbose: flags.verbose,
    })
    if (!outcome.destroyed) {
      this.exitStatus = ExitCode.Negative
      this.log(`Not deleted: the name typed did not match ${outcome.stack}.`)
      return outcome
    }
    this.log(`Deleted stack ${outcome.stack} in ${outcome.region}.`)
    if (outcome.retained.length > 0) this.log(`Retained: ${outcome.retained.join('; ')}.`)
    if (outcome.deleted.length > 0) this.log(`Deleted with it: ${outcome.deleted.join('; ')}.`)
    return outcome
  }
}
