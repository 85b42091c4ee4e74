import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {
  readStackOutputsCache,
  type StackCacheTarget,
  stackOutputsCacheFile,
  writeStackOutputsCache,
} from './stack-outputs-cache.js'

/**
 * The deployed stack's outputs (bucket and table names, role ARNs): from the per profile/region/stack cache,
 * or from CloudFormation DescribeStacks on a miss, which then fills the cache.
 */
export async function discoverStackOutputs(
  target: StackCacheTarget,
  cloudFormation: () => Promise<CloudFormationClient>,
): Promise<Record<string, string>> {
  const cached = await readStackOutputsCache(target)
  if (cached) return cached
  const outputs = await describeStackOutputs(target, await cloudFormation())
  await writeStackOutputsCache(target, outputs)
  return outputs
}

/** The outputs as CloudFormation has them now, bypassing the cache. */
export async function describeStackOutputs(
  target: StackCacheTarget,
  client: CloudFormationClient,
): Promise<Record<string, string>> {
  const {DescribeStacksCommand} = await import('@aws-sdk/client-cloudformation')
  try {
    const {Stacks: stacks} = await client.send(new DescribeStacksCommand({StackName: target.stack}))
    const stack = stacks?.[0]
    if (!stack) throw stackNotFound(target)
    if (stack.StackStatus?.endsWith('_IN_PROGRESS') && !stack.Outputs?.length)
      throw new CliError(`Stack ${target.stack} is still being created (${stack.StackStatus}).`, {
        exitCode: ExitCode.Aws,
        code: 'StackNotReady',
        hint: 'Wait for the deployment to finish, then try again.',
      })
    return Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    )
  } catch (error) {
    const {name, message} = error as {name?: string; message?: string}
    if (name === 'ValidationError' && /does not exist/.test(message ?? '')) throw stackNotFound(target, error)
    throw error
  }
}

function stackNotFound(target: StackCacheTarget, cause?: unknown): CliError {
  return new CliError(`Stack ${target.stack} not found in ${target.region} (profile ${target.profile || 'default'}).`, {
    exitCode: ExitCode.Aws,
    code: 'StackNotFound',
    cause,
    hint: 'Check --stack, --region and --profile, or deploy it first with `eventpulse deploy`.',
  })
}

/** Names a required output, or says that the stack lacks it (an older deployment, or another stack altogether). */
export function requireOutput(
  outputs: Record<string, string>,
  name: string,
  target: StackCacheTarget,
  flag: string,
): string {
  const value = outputs[name]
  if (value) return value
  throw new CliError(`Stack ${target.stack} has no output ${name}.`, {
    exitCode: ExitCode.Aws,
    code: 'StackOutputMissing',
    hint:
      `Redeploy the stack with this version of EventPulse, or pass ${flag}. ` +
      `Cached outputs: ${stackOutputsCacheFile(target)}`,
  })
}
