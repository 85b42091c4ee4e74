import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import type {STSClient} from '@aws-sdk/client-sts'
import type {AwsCredentialIdentityProvider} from '@smithy/types'

import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {
  type ClientBasics,
  createS3Client,
  DEAD_LETTER_QUEUES,
  dynamoDbClientIf,
  lambdaClientIf,
  type PipelineTarget,
  snsClientIf,
  requestHandlerFor,
  RESOURCE_FLAGS,
  type ResourceName,
  sqsClientIf,
} from './clients.js'
import {
  assumeRoleCredentials,
  baseCredentials,
  callerName,
  callerSessionName,
  type MfaCodeReader,
  type PipelineRole,
  sessionNameFor,
  sourceIdentityFor,
} from './credentials.js'
import {endpointFor, resolveMfaSerial, resolveRegion} from './profile.js'
import {discoverStackOutputs, requireOutput} from './stack-outputs.js'
import type {PipelineFlagValues} from './target-flags.js'

export type {PipelineRole} from './credentials.js'

const ROLE_OUTPUTS: Record<PipelineRole, string> = {
  uploader: STACK_OUTPUTS.uploaderRoleArn,
  quarantineAdmin: STACK_OUTPUTS.quarantineAdminRoleArn,
}

export interface TargetRequest {
  role: PipelineRole
  needs: ResourceName[]
  /**
   * Resources the command uses when they are known (from flags, or from the stack's outputs when those are read
   * anyway) and does without otherwise: e.g. an S3-compatible endpoint with no table, a stack older than the resource.
   */
  wants?: ResourceName[]
  /** The command's --concurrency (default 16). */
  concurrency?: number
  readMfaCode?: MfaCodeReader
  /** Factories the tests replace to check the calls at the SDK boundary. */
  clients?: {sts?: (config: ClientBasics) => STSClient; cloudFormation?: (config: ClientBasics) => CloudFormationClient}
}

/**
 * What the stack tells about itself that a command may need: resource names, the role to assume, the stuck threshold.
 */
interface StackFacts {
  resources: Partial<Record<ResourceName, string>>
  roleArn?: string
  stuckAfterSeconds?: number
  historyRetentionSeconds?: number
  schemaHash?: string
}

/**
 * Resolves a deployed pipeline as the target: the standard AWS chain for credentials (profile, environment, SSO, ...),
 * names from flags or the stack's outputs (cached), and the command's role from the stack assumed through STS unless
 * `--no-assume-role`. With `--endpoint-url` (emulators, S3-compatible servers) a role is assumed only when `--role-arn`
 * names one.
 */
export async function resolveAwsTarget(flags: PipelineFlagValues, request: TargetRequest): Promise<PipelineTarget> {
  const concurrency = request.concurrency ?? 16
  const {profileName, profile, endpoint, region, readMfaCode, basics} = await callerBasics(flags, request)
  const base = basics.credentials as AwsCredentialIdentityProvider
  const sts = once(async () => {
    const {STSClient} = await import('@aws-sdk/client-sts')
    return (request.clients?.sts ?? ((c) => new STSClient(c)))({...basics, endpoint: endpointFor('STS', flags)})
  })
  // Who is calling, asked of STS once and only when needed (outputs to look up, a role to assume); never of an
  // emulator, which cannot say.
  const caller = once(async () => (endpoint ? undefined : callerIdentity(await sts())))
  const stack = await stackFacts(flags, request, {basics, region, profileName, endpoint, caller})
  let credentials: AwsCredentialIdentityProvider = base
  let sessionName: string | undefined
  if (stack.roleArn) {
    const serial = await resolveMfaSerial(flags, profile)
    const name = (await caller())?.name
    sessionName = name ? sessionNameFor(name) : callerSessionName()
    credentials = assumeRoleCredentials({
      roleArn: stack.roleArn,
      sessionName,
      sourceIdentity: name ? sourceIdentityFor(name) : undefined,
      sts: await sts(),
      mfa: serial ? {serial, readCode: readMfaCode} : undefined,
      externalId: flags['external-id'],
    })
  }
  const clientConfig = {...basics, credentials}
  const known = [...request.needs, ...(request.wants ?? [])].filter((name) => stack.resources[name])
  const uses = (names: readonly ResourceName[]) => known.some((name) => names.includes(name))
  return {
    label: endpoint ?? `stack ${flags.stack} in ${region} (profile ${profile})`,
    region,
    concurrency,
    ...stack,
    sessionName,
    s3: createS3Client(clientConfig),
    dynamodb: await dynamoDbClientIf(uses(['table', 'outcomesTable']), {
      ...clientConfig,
      endpoint: endpointFor('DYNAMODB', flags),
    }),
    sqs: await sqsClientIf(uses(DEAD_LETTER_QUEUES), {...clientConfig, endpoint: endpointFor('SQS', flags)}),
    lambda: await lambdaClientIf(uses(['processorFunctionName']), {
      ...clientConfig,
      endpoint: endpointFor('LAMBDA', flags),
    }),
    sns: await snsClientIf(uses(['topicArn']), {...clientConfig, endpoint: endpointFor('SNS', flags)}),
  }
}

/** The first call's promise, shared by every later call. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => (made ??= make())
}

/** The caller's account and name as STS GetCallerIdentity tells them (with the caller's own credentials). */
async function callerIdentity(sts: STSClient): Promise<{account?: string; name?: string}> {
  const {GetCallerIdentityCommand} = await import('@aws-sdk/client-sts')
  const {Account: account, Arn: arn} = await sts.send(new GetCallerIdentityCommand({}))
  return {account, name: arn ? callerName(arn) : undefined}
}

/**
 * Who the caller is before any role: profile, region, endpoint and the caller's own credentials (the standard chain,
 * asking for an MFA code when a profile needs one), as every client of the target starts from.
 */
export async function callerBasics(
  flags: PipelineFlagValues,
  request: Pick<TargetRequest, 'concurrency' | 'readMfaCode'>,
) {
  const profileName = flags.profile || process.env.AWS_PROFILE || undefined
  const profile = profileName ?? 'default'
  const endpoint = endpointFor('S3', flags)
  const region = await resolveRegion(flags, profile, endpoint)
  const readMfaCode: MfaCodeReader =
    request.readMfaCode ?? (async (serial: string) => (await import('#terminal/mfa-prompt.js')).promptMfaCode(serial))
  const basics: ClientBasics = {
    region,
    endpoint,
    credentials: baseCredentials({profile: profileName, readMfaCode}),
    requestHandler: requestHandlerFor(request.concurrency ?? 16),
    maxAttempts: 5,
  }
  return {profileName, profile, endpoint, region, readMfaCode, basics}
}

/** Resource names from the flags, and from the stack's outputs what the flags leave open (CloudFormation only then). */
async function stackFacts(
  flags: PipelineFlagValues,
  request: TargetRequest,
  context: {
    basics: ClientBasics
    region: string
    profileName?: string
    endpoint?: string
    caller: () => Promise<{account?: string} | undefined>
  },
): Promise<StackFacts> {
  const resources = flagResources(flags)
  const missing = request.needs.filter((name) => !resources[name])
  const wantsStackRole = flags['assume-role'] && !flags['role-arn'] && !context.endpoint
  const roleArn = flags['assume-role'] ? flags['role-arn'] : undefined
  if (missing.length === 0 && !wantsStackRole) return {resources, roleArn}

  const stackTarget = {
    profile: context.profileName,
    region: context.region,
    stack: flags.stack,
    endpoint: endpointFor('CLOUDFORMATION', flags),
    // Outputs cached for another account are never used: the same profile may point elsewhere now.
    account: (await context.caller())?.account,
  }
  const outputs = await discoverStackOutputs(stackTarget, async () => {
    const {CloudFormationClient} = await import('@aws-sdk/client-cloudformation')
    const create = request.clients?.cloudFormation ?? ((c) => new CloudFormationClient(c))
    return create({...context.basics, endpoint: stackTarget.endpoint})
  })
  for (const name of missing)
    resources[name] = requireOutput(outputs, STACK_OUTPUTS[name], stackTarget, `--${RESOURCE_FLAGS[name]}`)
  for (const name of request.wants ?? []) {
    const output = outputs[STACK_OUTPUTS[name]]
    if (!resources[name] && output) resources[name] = output
  }
  const stuck = Number(outputs[STACK_OUTPUTS.stuckAfterSeconds])
  const historyRetention = Number(outputs[STACK_OUTPUTS.historyRetentionSeconds])
  return {
    resources,
    roleArn: wantsStackRole
      ? requireOutput(outputs, ROLE_OUTPUTS[request.role], stackTarget, '--role-arn or --no-assume-role')
      : roleArn,
    stuckAfterSeconds: stuck > 0 ? stuck : undefined,
    historyRetentionSeconds: historyRetention > 0 ? historyRetention : undefined,
    schemaHash: outputs[STACK_OUTPUTS.schemaHash],
  }
}

/** The resource names given by flags (--processing-bucket, --quarantine-bucket, --table, ...). */
export function flagResources(flags: PipelineFlagValues): Partial<Record<ResourceName, string>> {
  const resources: Partial<Record<ResourceName, string>> = {}
  for (const [name, flag] of Object.entries(RESOURCE_FLAGS) as [ResourceName, (typeof RESOURCE_FLAGS)[ResourceName]][])
    if (flags[flag]) resources[name] = flags[flag]
  return resources
}

/** The local name of each role, as `--role` and the README write it. */
export const ROLE_NAMES: Record<PipelineRole, string> = {uploader: 'uploader', quarantineAdmin: 'quarantine-admin'}

/**
 * Who a change is made by, as far as the CLI knows: the role session name when it assumed the stack's role (what
 * CloudTrail shows), locally the role it plays; unknown with credentials it did not choose (--no-assume-role).
 */
export function actingAs(target: PipelineTarget, role: PipelineRole): string | undefined {
  return target.local ? ROLE_NAMES[role] : target.sessionName
}
