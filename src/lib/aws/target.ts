// Only the S3 client is loaded up front: the others are imported when a command needs them, as loading the AWS SDK's
// modules is most of a short command's start-up time.
import type {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'
import type {STSClient} from '@aws-sdk/client-sts'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {usageError} from '../errors.js'
import {readLocalPipeline} from '../local/state.js'
import {STACK_OUTPUTS} from '../pipeline-contract.js'
import {assumeRoleCredentials, baseCredentials, callerSessionName, LOCAL_CREDENTIALS, type MfaCodeReader} from './credentials.js'
import type {PipelineFlagValues} from './flags.js'
import {createRequestHandler} from './http.js'
import {discoverStackOutputs, requireOutput} from './stack-outputs.js'

/** The role a command acts through: `upload`/`status` the uploader role, `quarantine` commands the quarantine-admin role. */
export type PipelineRole = 'uploader' | 'quarantineAdmin'

export type ResourceName = 'processingBucket' | 'quarantineBucket' | 'table'

const RESOURCE_FLAGS: Record<ResourceName, 'processing-bucket' | 'quarantine-bucket' | 'table'> = {
  processingBucket: 'processing-bucket',
  quarantineBucket: 'quarantine-bucket',
  table: 'table',
}

const ROLE_OUTPUTS: Record<PipelineRole, string> = {
  uploader: STACK_OUTPUTS.uploaderRoleArn,
  quarantineAdmin: STACK_OUTPUTS.quarantineAdminRoleArn,
}

/** Where a command sends its requests, with clients ready to use. */
export interface PipelineTarget {
  /** For messages: "local pipeline", "stack EventPulse in eu-west-1 (profile dev)", an endpoint URL. */
  label: string
  region: string
  endpoint?: string
  resources: Partial<Record<ResourceName, string>>
  /** The stack's threshold for `status --stuck`, when it publishes one. */
  stuckAfterSeconds?: number
  /** Which role the credentials are for, if one was assumed. */
  roleArn?: string
  s3: S3Client
  /** Present when the command needs the table. */
  dynamodb?: DynamoDBClient
}

export interface TargetRequest {
  role: PipelineRole
  needs: ResourceName[]
  /** Sockets per client: the command's --concurrency. */
  maxSockets?: number
  readMfaCode?: MfaCodeReader
  /** Factories the tests replace to check the calls at the SDK boundary. */
  clients?: {sts?: (config: ClientBasics) => STSClient; cloudFormation?: (config: ClientBasics) => CloudFormationClient}
}

interface ClientBasics {
  region: string
  endpoint?: string
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider
  requestHandler: ReturnType<typeof createRequestHandler>
  maxAttempts: number
}

/** The profile's settings from the shared config and credentials files, read once per process. */
const profiles = new Map<string, Promise<Record<string, string | undefined>>>()

function loadProfile(profile: string): Promise<Record<string, string | undefined>> {
  if (!profiles.has(profile))
    profiles.set(
      profile,
      import('@smithy/shared-ini-file-loader')
        .then(({loadSharedConfigFiles}) => loadSharedConfigFiles())
        .then((files) => ({...files.credentialsFile?.[profile], ...files.configFile?.[profile]})),
    )
  return profiles.get(profile)!
}

/** Region as the AWS CLI finds it: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
async function resolveRegion(flags: PipelineFlagValues, profile: string, endpoint: string | undefined): Promise<string> {
  const region = flags.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (await loadProfile(profile)).region
  if (region) return region
  // S3-compatible servers rarely care about the region, but requests must be signed for one.
  if (endpoint) return 'us-east-1'
  throw usageError('No AWS region given.', 'Pass --region, set AWS_REGION, or set a region in the profile (aws configure).')
}

/** The profile's mfa_serial counts only for a profile of long-term keys: a role profile has used it already. */
async function resolveMfaSerial(flags: PipelineFlagValues, profile: string): Promise<string | undefined> {
  if (flags['mfa-serial']) return flags['mfa-serial']
  const settings = await loadProfile(profile)
  return settings.role_arn ? undefined : settings.mfa_serial
}

/**
 * Resolves where and as whom a command acts. `--local`: the local pipeline, static dummy credentials, no STS or
 * CloudFormation. Otherwise the standard AWS chain (profile, environment, SSO, ...), names from flags or the stack's
 * outputs (cached), and the command's role from the stack assumed through STS unless `--no-assume-role`.
 * With `--endpoint-url` (emulators, S3-compatible servers) a role is assumed only when `--role-arn` names one.
 */
export async function resolveTarget(flags: PipelineFlagValues, request: TargetRequest): Promise<PipelineTarget> {
  const requestHandler = createRequestHandler({maxSockets: Math.max(request.maxSockets ?? 16, 16)})
  if (flags.local) {
    const local = readLocalPipeline()
    const basics = {region: local.region, credentials: LOCAL_CREDENTIALS, requestHandler, maxAttempts: 3}
    const {processingBucket, quarantineBucket, table} = local
    return {
      label: 'local pipeline',
      region: local.region,
      endpoint: local.endpoints.s3,
      resources: {processingBucket, quarantineBucket, table, ...flagResources(flags)},
      s3: createS3Client({...basics, endpoint: local.endpoints.s3}),
      dynamodb: await dynamoDbClientIf(request.needs.includes('table'), {...basics, endpoint: local.endpoints.dynamodb}),
    }
  }

  const profileName = flags.profile || process.env.AWS_PROFILE || undefined
  const profile = profileName ?? 'default'
  const endpoint = endpointFor('S3', flags)
  const region = await resolveRegion(flags, profile, endpoint)
  const readMfaCode = request.readMfaCode ?? (async (serial: string) => (await import('./mfa-prompt.js')).promptMfaCode(serial))
  const base = baseCredentials({profile: profileName, readMfaCode})
  const basics: ClientBasics = {region, endpoint, credentials: base, requestHandler, maxAttempts: 5}

  const resources = flagResources(flags)
  const missing = request.needs.filter((name) => !resources[name])
  const wantsStackRole = flags['assume-role'] && !flags['role-arn'] && !endpoint
  const stackTarget = {profile: profileName, region, stack: flags.stack}
  let roleArn = flags['assume-role'] ? flags['role-arn'] : undefined
  let stuckAfterSeconds: number | undefined
  if (missing.length > 0 || wantsStackRole) {
    const cloudFormation = async () => {
      const {CloudFormationClient} = await import('@aws-sdk/client-cloudformation')
      return (request.clients?.cloudFormation ?? ((c) => new CloudFormationClient(c)))({...basics, endpoint: endpointFor('CLOUDFORMATION', flags)})
    }
    const outputs = await discoverStackOutputs(stackTarget, cloudFormation)
    for (const name of missing) resources[name] = requireOutput(outputs, STACK_OUTPUTS[name], stackTarget, `--${RESOURCE_FLAGS[name]}`)
    if (wantsStackRole) roleArn = requireOutput(outputs, ROLE_OUTPUTS[request.role], stackTarget, '--role-arn or --no-assume-role')
    const stuck = Number(outputs[STACK_OUTPUTS.stuckAfterSeconds])
    if (stuck > 0) stuckAfterSeconds = stuck
  }

  let credentials: AwsCredentialIdentityProvider = base
  if (roleArn) {
    const serial = await resolveMfaSerial(flags, profile)
    const {STSClient} = await import('@aws-sdk/client-sts')
    const sts = (request.clients?.sts ?? ((c) => new STSClient(c)))({...basics, endpoint: endpointFor('STS', flags)})
    credentials = assumeRoleCredentials({
      roleArn,
      sessionName: callerSessionName(),
      sts,
      mfa: serial ? {serial, readCode: readMfaCode} : undefined,
    })
  }
  const clientConfig = {...basics, credentials}
  return {
    label: endpoint ?? `stack ${flags.stack} in ${region} (profile ${profile})`,
    region,
    endpoint,
    resources,
    stuckAfterSeconds,
    roleArn,
    s3: createS3Client(clientConfig),
    dynamodb: await dynamoDbClientIf(request.needs.includes('table'), {...clientConfig, endpoint: endpointFor('DYNAMODB', flags)}),
  }
}

async function dynamoDbClientIf(needed: boolean, config: ClientBasics): Promise<DynamoDBClient | undefined> {
  if (!needed) return undefined
  const {DynamoDBClient} = await import('@aws-sdk/client-dynamodb')
  return new DynamoDBClient(config)
}

/**
 * A service's endpoint: the SDK's service-specific variable (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, ...) first,
 * then --endpoint-url / AWS_ENDPOINT_URL for all services, as the AWS CLI and SDKs do.
 */
function endpointFor(service: 'S3' | 'DYNAMODB' | 'STS' | 'CLOUDFORMATION', flags: PipelineFlagValues): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`] || flags['endpoint-url'] || process.env.AWS_ENDPOINT_URL || undefined
}

function flagResources(flags: PipelineFlagValues): Partial<Record<ResourceName, string>> {
  const resources: Partial<Record<ResourceName, string>> = {}
  for (const [name, flag] of Object.entries(RESOURCE_FLAGS) as [ResourceName, (typeof RESOURCE_FLAGS)[ResourceName]][])
    if (flags[flag]) resources[name] = flags[flag]
  return resources
}

/**
 * S3 client: path-style addressing for custom endpoints (emulators have no per-bucket DNS), and checksums only where
 * S3 requires them, so bodies are sent plain rather than in aws-chunked framing that S3-compatible servers may store as is.
 */
export function createS3Client(config: ClientBasics): S3Client {
  return new S3Client({
    ...config,
    forcePathStyle: Boolean(config.endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** A resource the command needs, which resolveTarget has made sure of. */
export function resource(target: PipelineTarget, name: ResourceName): string {
  const value = target.resources[name]
  if (!value) throw usageError(`No ${name} known for ${target.label}.`, `Pass --${RESOURCE_FLAGS[name]}.`)
  return value
}
