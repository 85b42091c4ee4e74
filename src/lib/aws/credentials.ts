import {userInfo} from 'node:os'

import type {STSClient} from '@aws-sdk/client-sts'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** Dummy keys for emulators, which check that requests are signed but not by whom. */
export const LOCAL_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'eventpulse-local',
  secretAccessKey: 'eventpulse-local',
}

/**
 * The role a command acts through: `upload`/`status` the uploader role, `quarantine`, `dead-letters` and `sweep` the
 * quarantine-admin role.
 */
export type PipelineRole = 'uploader' | 'quarantineAdmin'

/**
 * Dummy keys of their own for each role's `--local` commands: the local S3 tells the roles apart by the key a request
 * is signed with, and lets only the allowed ones write replacements, as IAM does on AWS. It stands in for IAM so that
 * the same commands meet the same refusals; it protects nothing (the keys are here for all to read).
 */
export const LOCAL_ROLE_CREDENTIALS: Record<PipelineRole, AwsCredentialIdentity> = {
  uploader: {accessKeyId: 'eventpulse-local-uploader', secretAccessKey: 'eventpulse-local'},
  quarantineAdmin: {accessKeyId: 'eventpulse-local-quarantine-admin', secretAccessKey: 'eventpulse-local'},
}

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

/** STS allows [\w+=,.@-] in a session name, 2 to 64 characters. */
export function sessionNameFor(user: string, prefix = 'eventpulse'): string {
  const cleaned = user
    .replaceAll(/[^\w+=,.@-]/g, '-')
    .replaceAll(/-+/g, '-')
    .replace(/^-|-$/g, '')
  return `${prefix}-${cleaned || 'user'}`.slice(0, 64)
}

/** Names the session after the person running the CLI, so CloudTrail shows who acted through the role. */
export function callerSessionName(): string {
  let user = process.env.USER || process.env.USERNAME || ''
  try {
    user = userInfo().username || user
  } catch {
    // No passwd entry (e.g. an arbitrary uid in a container): fall back to the environment.
  }
  return sessionNameFor(user)
}

/** Temporary credentials are renewed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000

export interface AssumeRoleOptions {
  roleArn: string
  sessionName: string
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
