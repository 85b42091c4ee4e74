import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import type {STSClient} from '@aws-sdk/client-sts'

import {type ClientBasics, type ResourceName} from '#aws/clients.js'
import {endpointFor} from '#aws/profile.js'
import {describeStackOutputs} from '#aws/stack-outputs.js'
import {writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {callerBasics, type PipelineRole, resolveAwsTarget, type TargetRequest} from '#aws/target.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {localPipelineNote, localPipelineStatus} from '#local/state.js'
import {CliError} from '#core/errors.js'
import {
  accessRecordCheck,
  adminMfaCheck,
  attempt,
  type CheckResult,
  dashboardCheck,
  fail,
  localPipelineCheck,
  missingOutputs,
  nodeCheck,
  resourceChecks,
  schemaCheck,
} from './checks.js'

/** What each role is checked against: the resources its commands use. */
const ROLE_RESOURCES: Record<Exclude<PipelineRole, 'selftest'>, ResourceName[]> = {
  uploader: ['processingBucket'],
  quarantineAdmin: ['quarantineBucket'],
}

export interface AwsDoctorOptions {
  /** Factories the tests replace to check the calls at the SDK boundary. */
  clients?: TargetRequest['clients'] & {sts?: (config: ClientBasics) => STSClient}
  readMfaCode?: TargetRequest['readMfaCode']
}

/**
 * Everything `doctor` looks at for a deployed pipeline, in the order a user would fix them: Node, the local pipeline,
 * credentials, the stack and its outputs (refreshing the cache), each role, the resources each role uses, the schema
 * the processor checks with, and the dashboard. A step that cannot run for want of an earlier one says so.
 */
export async function awsChecks(flags: PipelineFlagValues, options: AwsDoctorOptions = {}): Promise<CheckResult[]> {
  const local = localPipelineStatus()
  const results = [nodeCheck(), localPipelineCheck(local, false)]
  const caller = await callerBasics(flags, {readMfaCode: options.readMfaCode, concurrency: 4}).catch(
    (error: unknown) => error as Error,
  )
  if (caller instanceof CliError && caller.code === 'NoRegion') {
    results.push(fail('region', caller.message, `${caller.hint} ${localPipelineNote(local)}`))
    return results
  }
  if (caller instanceof Error) throw caller
  const {STSClient, GetCallerIdentityCommand} = await import('@aws-sdk/client-sts')
  const sts = (options.clients?.sts ?? ((c) => new STSClient(c)))({
    ...caller.basics,
    endpoint: endpointFor('STS', flags),
  })
  let account: string | undefined
  const identity = await attempt('credentials', async () => {
    const {Arn: arn, Account: answered} = await sts.send(new GetCallerIdentityCommand({}))
    account = answered
    return {check: 'credentials', status: 'pass', detail: `${arn} (account ${account}, region ${caller.region})`}
  })
  results.push(identity)
  if (identity.status === 'fail') return results

  let outputs: Record<string, string> = {}
  const stackTarget = {
    profile: caller.profileName,
    region: caller.region,
    stack: flags.stack,
    endpoint: endpointFor('CLOUDFORMATION', flags),
    account,
  }
  const stack = await attempt('stack', async () => {
    const {CloudFormationClient} = await import('@aws-sdk/client-cloudformation')
    const create =
      options.clients?.cloudFormation ?? ((c: ClientBasics): CloudFormationClient => new CloudFormationClient(c))
    outputs = await describeStackOutputs(stackTarget, create({...caller.basics, endpoint: stackTarget.endpoint}))
    await writeStackOutputsCache(stackTarget, outputs)
    const missing = missingOutputs(outputs)
    if (missing.length > 0)
      return {
        check: 'stack',
        status: 'warn',
        detail: `${flags.stack} in ${caller.region} lacks outputs ${missing.join(', ')}`,
        fix: 'Redeploy the stack with this version of EventPulse (`eventpulse deploy`).',
      }
    return {check: 'stack', status: 'pass', detail: `${flags.stack} in ${caller.region}, outputs cached`}
  })
  results.push(stack)
  if (stack.status === 'fail') return results
  results.push(
    ...adminMfaCheck(outputs[STACK_OUTPUTS.adminMfaRequired]),
    ...accessRecordCheck(outputs[STACK_OUTPUTS.accessLogLocation]),
  )

  for (const role of ['uploader', 'quarantineAdmin'] as const) {
    const request = {role, needs: ROLE_RESOURCES[role], clients: options.clients, readMfaCode: options.readMfaCode}
    const target = await resolveAwsTarget(flags, {...request, concurrency: 4}).catch((error: unknown) => error)
    const assumed = await attempt(`${role} role`, async () => {
      if (target instanceof Error) throw target
      const resolved = target as Awaited<ReturnType<typeof resolveAwsTarget>>
      await resolved.s3.config.credentials()
      return {
        check: `${role} role`,
        status: 'pass',
        detail: resolved.roleArn ?? 'your own credentials (--no-assume-role)',
      }
    })
    results.push(assumed)
    if (assumed.status === 'pass')
      results.push(
        ...(await resourceChecks(target as Awaited<ReturnType<typeof resolveAwsTarget>>, ROLE_RESOURCES[role])),
      )
  }

  results.push(schemaCheck(outputs[STACK_OUTPUTS.schemaHash], `Stack ${flags.stack}`))
  // A stack without the output already warned (missing outputs) above.
  results.push(...dashboardCheck(outputs[STACK_OUTPUTS.dashboardUrl]))
  return results
}
