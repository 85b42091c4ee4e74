import {PipelineCommand} from '#cli/pipeline-command.js'
import {pipelineFlags} from '#cli/pipeline-flags.js'
import {targetArguments} from '#aws/target-flags.js'
import {ExitCode} from '#core/exit-codes.js'
import {shellCommand} from '#core/shell-words.js'
import {awsChecks} from '#doctor/aws-checks.js'
import {type CheckResult, localChecks} from '#doctor/checks.js'

const MARK = {pass: 'ok  ', warn: 'warn', fail: 'FAIL'} as const

export default class Doctor extends PipelineCommand {
  static summary = 'Check what EventPulse needs, and say what to fix.'

  static description = `One screen that tells what is wrong before a command runs into it: Node.js,
the local pipeline, credentials and who they belong to, the stack and its
outputs, each role (assumed), the buckets and table each role uses, and
whether the pipeline checks records with this CLI's schema; then the address of
the stack's CloudWatch dashboard. Each check passes, warns or fails with a fix.
With --local: the local pipeline, its buckets, tables and schema. Exit codes: 0
nothing failed (warnings allowed); 1 a check failed. When nothing failed, it
suggests \`eventpulse selftest\`, which proves the pipeline works end to end.`

  static examples = [
    {description: 'The deployed stack, with your default profile', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The local pipeline', command: '<%= config.bin %> <%= command.id %> --local'},
    {
      description: 'Another stack and profile, as JSON',
      command: '<%= config.bin %> <%= command.id %> --stack EventPulse-dev --profile dev --json',
    },
  ]

  static flags = pipelineFlags('processingBucket', 'quarantineBucket', 'table', 'outcomesTable')

  async run(): Promise<{ok: boolean; checks: CheckResult[]; next?: string}> {
    const {flags} = await this.parse(Doctor)
    const checks = flags.local ? await localChecks() : await awsChecks(flags)
    for (const {status, check, detail, fix} of checks) {
      this.log(`${MARK[status]}  ${check}: ${detail}`)
      if (fix && status !== 'pass') this.log(`      ${fix}`)
    }
    const failed = checks.filter((check) => check.status === 'fail').length
    const warned = checks.filter((check) => check.status === 'warn').length
    this.log(
      failed > 0 ? `${failed} failed, ${warned} warned.` : `Nothing failed${warned ? `; ${warned} warned` : ''}.`,
    )
    if (failed > 0) {
      this.exitStatus = ExitCode.Negative
      return {ok: false, checks}
    }
    // The parts are there: only canaries through them show that they work together.
    const next = shellCommand([this.config.bin, 'selftest', ...targetArguments(flags)])
    this.log(`Next, prove the pipeline works end to end: ${next}`)
    return {ok: true, checks, next}
  }
}
