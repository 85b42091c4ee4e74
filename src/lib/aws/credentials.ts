import {userInfo} from 'node:os'

import type {STSClient} from '@aws-sdk/client-sts'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/**
 * The role a command acts through: `upload`/`status` the uploader role, `quarantine`, `dead-letters` and `sweep` the
 * quarantine-admin role, `selftest` the selftest role (canaries only).
 */
export type PipelineRole = 'uploader' | 'quarantineAdmin' | 'selftest'

/** Asks for an MFA code (a terminal prompt in the CLI, a stub in tests). */
export type MfaCodeReader = (serial: string) => Promise<string>

/**
 * The caller's own credentials, resolved the way the AWS CLI does: environment, shared config and credentials
 * files (profiles, SSO, credential_process, source_profile with mfa_serial), container and instance roles.
 */
export function baseCredentials(options: {
  profile?: string
  readMfaCode: MfaCodeReader
}): AwsCredentialIdentityProvider {
  // The provider chain (and the SSO, STS ... clients it brings) is loaded on the first request that needs credentials.
  let chain: Promise<AwsCredentialIdentityProvider> | undefined
  return async (properties) => {
    chain ??= import('@aws-sdk/credential-providers').then(({fromNodeProviderChain}) =>
      fromNodeProviderChain({profile: options.profile, mfaCodeProvider: options.readMfaCode}),
    )
    return (await chain)(properties)
  }
}

/** What STS allows in a session name or source identity: [\w+=,.@-], the rest made hyphens; at most `max`. */
function stsName(value: string, max: number): string {
  return value
    .replaceAll(/[^\w+=,.@-]/g, '-')
    .replaceAll(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max)
}

/** STS allows [\w+=,.@-] in a session name, 2 to 64 characters. */
export function sessionNameFor(user: string, prefix = 'eventpulse'): string {
  return `${prefix}-${stsName(user, 64) || 'user'}`.slice(0, 64)
}

/** Names the session after the person running the CLI (by their local user name), where STS cannot say who. */
export function callerSessionName(): string {
  let user = process.env.USER || process.env.USERNAME || ''
  try {
    user = userInfo().username || user
  } catch {
    // No passwd entry (e.g. an arbitrary uid in a container): fall back to the environment.
  }
  return sessionNameFor(user)
}

/**
 * The person behind the ARN STS GetCallerIdentity answers with: a user's name (`user/ops/alice`), a role session's
 * name (`assumed-role/AWSReservedSSO_Admin_0f/alice@example.com`: for SSO, the person), or `root`.
 */
export function callerName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':')
  return resource.split('/').at(-1) ?? resource
}

/** A SourceIdentity naming the caller: 2 to 64 characters STS allows, or undefined when nothing of the name is left. */
export function sourceIdentityFor(name: string): string | undefined {
  const identity = stsName(name, 64)
  return identity.length >= 2 ? identity : undefined
}

/** Temporary credentials are renewed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000

export interface AssumeRoleOptions {
  roleArn: string
  sessionName: string
  /**
   * Set on the session (sts:SetSourceIdentity) and kept through any role it assumes in turn: the quarantine bucket's
   * access log and CloudTrail then name the person, not only the role.
   */
  sourceIdentity?: string
  sts: STSClient
  mfa?: {serial: string; readCode: MfaCodeReader}
  externalId?: string
  durationSeconds?: number
}

/**
 * Credentials of an assumed role that renew themselves: every client sharing the provider waits on one
 * AssumeRole call, which is repeated shortly before the credentials expire (asking again for an MFA code if needed).
 */
export function assumeRoleCredentials(options: AssumeRoleOptions): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined
  const fresh = async (): Promise<AwsCredentialIdentity> => {
    const tokenCode = options.mfa ? await options.mfa.readCode(options.mfa.serial) : undefined
    const {AssumeRoleCommand} = await import('@aws-sdk/client-sts')
    try {
      const {Credentials: credentials} = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName,
          SourceIdentity: options.sourceIdentity,
          DurationSeconds: options.durationSeconds,
          ExternalId: options.externalId,
          SerialNumber: options.mfa?.serial,
          TokenCode: tokenCode,
        }),
      )
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
        throw new CliError(`STS returned no credentials for ${options.roleArn}.`, {
          exitCode: ExitCode.Aws,
          code: 'AssumeRoleFailed',
        })
      return {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
        expiration: credentials.Expiration,
      }
    } catch (error) {
      throw assumeRoleError(error, options.roleArn, Boolean(options.mfa))
    }
  }
  return async () => {
    const cached = current && (await current.catch(() => undefined))
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > REFRESH_MARGIN_MS)) return cached
    current = fresh()
    return current
  }
}

/** What went wrong assuming the role, said so the user knows what to do. */
function assumeRoleError(error: unknown, roleArn: string, withMfa: boolean): unknown {
  if (error instanceof CliError) return error
  const name = (error as {name?: string})?.name ?? ''
  if (name === 'AccessDenied' || name === 'AccessDeniedException')
    return new CliError(`Not allowed to assume the role ${roleArn}.`, {
      exitCode: ExitCode.Credentials,
      code: 'RoleNotAssumable',
      cause: error,
      hint: withMfa
        ? 'Check the MFA code and device (--mfa-serial), and that the role trusts your identity.'
        : 'Ask for your identity to be trusted by the role (the stack grants it to the account), pass --role-arn, ' +
          'or --no-assume-role to use your own credentials as they are. If the role requires MFA, pass --mfa-serial.',
    })
  return error
}
