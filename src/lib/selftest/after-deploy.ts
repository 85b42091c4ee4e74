import type {PipelineFlagValues} from '#aws/target-flags.js'
import {type Failure, toFailure} from '#core/errors.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {runSelftest, type SelftestReport, selftestLines, selftestTarget} from './run-selftest.js'

/** How long the selftest after a deploy waits (a first invocation of a new function starts cold). */
export const AFTER_DEPLOY_TIMEOUT_MS = 5 * 60 * 1000

/** The stack `deploy` just deployed, and the settings it was deployed with. */
export interface DeployedStack {
  stack: string
  region: string
  profile?: string
  externalId?: string
}

/**
 * What `deploy` ends with: the lines to print (after its own heading, printed before the wait), the exit code, and the
 * report when the selftest ran, or why it could not run.
 */
export interface AfterDeploySelftest {
  lines: string[]
  exitCode: ExitCodeValue
  report?: SelftestReport
  failure?: Failure
}

export const AFTER_DEPLOY_HEADING = 'Selftest of the deployed stack (canary records through the pipeline):'

/** The two steps of a selftest; tests give their own. */
export interface SelftestSteps {
  target: typeof selftestTarget
  run: typeof runSelftest
}

/**
 * `deploy`'s last step: the deployed stack's selftest, as the selftest role (assumed through STS, as `selftest` does).
 * A failure, or a selftest that could not run, says clearly that the stack is deployed but does not work as it should.
 */
export async function selftestDeployedStack(
  deployed: DeployedStack,
  steps: SelftestSteps = {target: selftestTarget, run: runSelftest},
): Promise<AfterDeploySelftest> {
  const flags: PipelineFlagValues = {
    stack: deployed.stack,
    profile: deployed.profile,
    region: deployed.region,
    'external-id': deployed.externalId,
    'assume-role': true,
  }
  try {
    const {target, notifications} = await steps.target(flags)
    const report = await steps.run({target, notifications, timeoutMs: AFTER_DEPLOY_TIMEOUT_MS})
    const lines = selftestLines(report)
    if (report.ok) return {lines, exitCode: ExitCode.Success, report}
    lines.push('The stack is deployed, but the SELFTEST FAILED: see the likely causes above.')
    return {lines, exitCode: ExitCode.Negative, report}
  } catch (error) {
    const failure = toFailure(error)
    return {
      lines: [
        `The stack is deployed, but the SELFTEST COULD NOT RUN: ${failure.message}`,
        ...(failure.hint ? [failure.hint] : []),
      ],
      exitCode: failure.exitCode as ExitCodeValue,
      failure,
    }
  }
}
