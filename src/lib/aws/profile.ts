import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {PipelineFlagValues} from './target-flags.js'

/** The profile's settings from the shared config and credentials files, read once per process. */
const profiles = new Map<string, Promise<Record<string, string | undefined>>>()

export function loadProfile(profile: string): Promise<Record<string, string | undefined>> {
  if (!profiles.has(profile))
    profiles.set(
      profile,
      import('@smithy/shared-ini-file-loader')
        .then(({loadSharedConfigFiles}) => loadSharedConfigFiles())
        .then((files) => ({...files.credentialsFile?.[profile], ...files.configFile?.[profile]})),
    )
  return profiles.get(profile)!
}

/** The region the AWS CLI uses when no --region is given: AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
export async function configuredRegion(profile: string): Promise<string | undefined> {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (await loadProfile(profile)).region
}

/** Region as the AWS CLI finds it: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
export async function resolveRegion(
  flags: PipelineFlagValues,
  profile: string,
  endpoint: string | undefined,
): Promise<string> {
  const region = flags.region || (await configuredRegion(profile))
  if (region) return region
  // S3-compatible servers rarely care about the region, but requests must be signed for one.
  if (endpoint) return 'us-east-1'
  throw noRegionError()
}

/** Both ways out: a region for AWS, or --local; the command base adds whether a local pipeline is running. */
export const noRegionError = () =>
  new CliError('No AWS region given.', {
    exitCode: ExitCode.Usage,
    code: 'NoRegion',
    hint:
      'For AWS: pass --region, set AWS_REGION, or set a region in the profile (aws configure). ' +
      'For the local pipeline: pass --local.',
  })

/** The profile's mfa_serial counts only for a profile of long-term keys: a role profile has used it already. */
export async function resolveMfaSerial(flags: PipelineFlagValues, profile: string): Promise<string | undefined> {
  if (flags['mfa-serial']) return flags['mfa-serial']
  const settings = await loadProfile(profile)
  return settings.role_arn ? undefined : settings.mfa_serial
}

/**
 * A service's endpoint: the SDK's service-specific variable (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, ...)
 * first, then --endpoint-url / AWS_ENDPOINT_URL for all services, as the AWS CLI and SDKs do.
 */
export function endpointFor(
  service: 'S3' | 'DYNAMODB' | 'STS' | 'CLOUDFORMATION' | 'SQS' | 'LAMBDA' | 'SNS',
  flags: Pick<PipelineFlagValues, 'endpoint-url'>,
): string | undefined {
  return (
    process.env[`AWS_ENDPOINT_URL_${service}`] || flags['endpoint-url'] || process.env.AWS_ENDPOINT_URL || undefined
  )
}
