import {Flags} from '@oclif/core'

import {commonFlags} from '#cli/common-flags.js'
import {PipelineCommand} from '#cli/pipeline-command.js'
import {pipelineFlags} from '#cli/pipeline-flags.js'
import {SELFTEST_ARTIST_ID, SELFTEST_PREFIX} from '#contract/pipeline-contract.js'
import {parseDuration} from '#core/duration.js'
import {ExitCode} from '#core/exit-codes.js'
import {runSelftest, type SelftestReport, selftestLines, selftestTarget} from '#selftest/run-selftest.js'
import {createProgress} from '#terminal/progress.js'

export default class Selftest extends PipelineCommand {
  static summary = 'Prove the pipeline works end to end, with canary records, then remove them.'

  static description = `Sends canary records through the real pipeline, under the reserved ArtistID
${SELFTEST_ARTIST_ID} and key prefix ${SELFTEST_PREFIX}: a valid one, one that must be
quarantined, and a batch of one of each. Waits for each to end where it
belongs and for its notification (on AWS from the stack's selftest queue,
locally from the outbox), then removes the items, quarantine entries (every
version) and outcome records they made. One line per step with its time, and
the likely cause of a failure (rule, function, permissions, topic). Runs as the
selftest role, which may touch canaries only and needs no MFA: fit for a
scheduler. Exit codes: 0 everything held; 1 the pipeline did something wrong;
3 credentials; 4 AWS or the network failed, or no local pipeline runs (--local).`

  static examples = [
    {description: 'Prove the deployed stack works', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The local pipeline, as JSON', command: '<%= config.bin %> <%= command.id %> --local --json'},
    {
      description: 'From a scheduler, giving a slow stack more time',
      command: '<%= config.bin %> <%= command.id %> --timeout 10m --quiet',
    },
  ]

  static flags = {
    ...pipelineFlags('processingBucket', 'quarantineBucket', 'table', 'outcomesTable', 'selftestQueueUrl'),
    timeout: Flags.string({description: 'How long to wait for the canaries and their notifications.', default: '3m'}),
    quiet: commonFlags.quiet,
  }

  async run(): Promise<SelftestReport> {
    const {flags} = await this.parse(Selftest)
    const timeoutMs = parseDuration(flags.timeout, '--timeout') * 1000
    const {target, notifications} = await selftestTarget(flags)
    const silent = this.jsonEnabled() || flags.quiet
    const report = await runSelftest({
      target,
      notifications,
      timeoutMs,
      progress: (total) => createProgress({total, label: 'Selftest', silent}),
    })
    const lines = selftestLines(report)
    for (const line of flags.quiet ? lines.filter((line) => !line.startsWith('ok')) : lines) this.log(line)
    if (!report.ok) this.exitStatus = ExitCode.Negative
    return report
  }
}
