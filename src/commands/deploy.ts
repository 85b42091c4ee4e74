import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {readConfigFile, resolveDeployConfig} from '#deploy/config.js'
import {type DeployOutcome, deployStack, formatOutputs} from '#deploy/deploy.js'
import {defaultAssemblyDir, type DryRunResult, dryRunDeploy, formatDryRun} from '#deploy/dry-run.js'
import {configFlags, deploySettingFlags, givenFlags, stackTargetFlags} from '#cli/deploy-flags.js'
import {ExitCode} from '#core/exit-codes.js'
import {commonFlags} from '#cli/common-flags.js'
import {AFTER_DEPLOY_HEADING, selftestDeployedStack} from '#selftest/after-deploy.js'
import type {SelftestReport} from '#selftest/run-selftest.js'
import type {Failure} from '#core/errors.js'

export default class Deploy extends BaseCommand {
  static summary = 'Deploy the EventPulse stack to AWS (with --dry-run: show what it would create).'

  static description = `Synthesizes the bundled CDK app in-process with the AWS CDK toolkit library (no
separate \`cdk\` install, no Docker), shows the change set with IAM changes
highlighted, and deploys once you confirm (or with --yes). If the account and
region are not bootstrapped for the CDK, it offers to bootstrap them first. The
stack outputs are printed and cached for the other commands.
Settings come from flags and an optional --config file (flags win). Stored data
(buckets, table, key, logs) is retained when the stack is deleted, unless
--destroy-data-on-delete is set.
Then it proves the stack works with \`eventpulse selftest\` (--no-selftest to
skip), as the selftest role.
--dry-run synthesizes the CloudFormation template into --output and summarises
it: no credentials, no AWS call.
Exit codes: 0 deployed (or dry run done) and the selftest passed; 1 you
declined, or the selftest failed; 2 usage; 3 credentials; 4 AWS failure.`

  static destructive = true

  static examples = [
    {description: 'See what would be created, offline', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {
      description: 'Deploy to a region with a profile',
      command: '<%= config.bin %> <%= command.id %> --profile prod --region eu-west-1',
    },
    {
      description: 'E-mail quarantine notices (and alarms) to the team',
      command: '<%= config.bin %> <%= command.id %> --email data-team@example.com --notify-quarantined-only',
    },
    {
      description: 'Let another account and a CI role assume the uploader and quarantine-admin roles',
      command:
        '<%= config.bin %> <%= command.id %> --trusted-principal 111122223333 ' +
        '--trusted-principal arn:aws:iam::444455556666:role/ci',
    },
    {
      description: 'Replicate the table to two more regions',
      command:
        '<%= config.bin %> <%= command.id %> --region eu-west-1 ' +
        '--replica-region us-east-1 --replica-region ap-southeast-2',
    },
    {
      description: 'Report objects waiting in processing for more than 30 minutes as stuck',
      command: '<%= config.bin %> <%= command.id %> --stuck-after 30m',
    },
    {
      description: 'A throwaway stack whose data goes with it',
      command: '<%= config.bin %> <%= command.id %> --stack EventPulseDev --destroy-data-on-delete --yes',
    },
    {
      description: 'Settings from a file, as a terraform.tfvars would hold them',
      command: '<%= config.bin %> <%= command.id %> --config eventpulse.config.json',
    },
    {
      description: 'Write the template somewhere to review it',
      command: '<%= config.bin %> <%= command.id %> --dry-run --output ./cdk.out',
    },
  ]

  static flags = {
    ...stackTargetFlags,
    'dry-run': commonFlags['dry-run'],
    output: Flags.string({
      char: 'o',
      description:
        'Directory for the synthesized cloud assembly (template included). Default: <cache dir>/cdk.out/<stack>.',
    }),
    ...deploySettingFlags,
    selftest: Flags.boolean({
      description: 'End with `eventpulse selftest` on the deployed stack (--no-selftest skips it).',
      allowNo: true,
      default: true,
    }),
  }

  async run(): Promise<DryRunResult | (DeployOutcome & {selftest?: SelftestReport; selftestError?: Failure})> {
    const {flags, raw} = await this.parse(Deploy)
    const file = flags.config ? await readConfigFile(flags.config) : {}
    const config = resolveDeployConfig(configFlags(flags, givenFlags(raw)), file)
    const assemblyDir = flags.output ?? defaultAssemblyDir(config.stackName)

    if (flags['dry-run']) {
      const result = await dryRunDeploy(config, assemblyDir)
      for (const line of formatDryRun(result)) this.log(line)
      return result
    }

    const outcome = await deployStack({config, yes: flags.yes, assemblyDir, verbose: flags.verbose})
    if (!outcome.deployed) {
      this.exitStatus = ExitCode.Negative
      this.log(
        outcome.reason === 'bootstrap-declined'
          ? 'Not deployed: the environment must be bootstrapped for the CDK first.'
          : 'Not deployed: nothing was changed.',
      )
      return outcome
    }
    this.log(
      `Deployed stack ${outcome.stack} to ${outcome.account}/${outcome.region}` +
        `${outcome.bootstrapped ? ' (bootstrapped first)' : ''}.`,
    )
    this.log('Outputs:')
    for (const line of formatOutputs(outcome.outputs)) this.log(line)
    this.log(`Saved for the other commands in ${outcome.cacheFile}.`)
    if (!flags.selftest) return outcome
    this.log(AFTER_DEPLOY_HEADING)
    const selftest = await selftestDeployedStack({
      stack: outcome.stack,
      region: outcome.region,
      profile: config.profile,
      externalId: config.externalId,
    })
    for (const line of selftest.lines) this.log(line)
    this.exitStatus = selftest.exitCode
    return {
      ...outcome,
      ...(selftest.report ? {selftest: selftest.report} : {}),
      ...(selftest.failure ? {selftestError: selftest.failure} : {}),
    }
  }
}
