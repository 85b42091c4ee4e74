import {NETWORK_ERROR_CODES} from './aws-responses.js'
import {ExitCode, type ExitCodeValue} from './exit-codes.js'

/** An error meant for the user: a message, what to do about it, and the exit code it ends the command with. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue
  readonly code: string
  readonly hint?: string

  constructor(message: string, options: {exitCode: ExitCodeValue; code: string; hint?: string; cause?: unknown}) {
    super(message, {cause: options.cause})
    this.name = 'CliError'
    this.exitCode = options.exitCode
    this.code = options.code
    this.hint = options.hint
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, {exitCode: ExitCode.Usage, code: 'UsageError', hint})
}

/** Ctrl-C at a prompt: the command stops before doing anything (exit 130). */
export function cancelledError(hint: string): CliError {
  return new CliError('Cancelled at the prompt (Ctrl-C); nothing was done.', {
    exitCode: ExitCode.Interrupted,
    code: 'Cancelled',
    hint,
  })
}

/** Ctrl-C during long work, which stopped between steps: `done` says, in one line, what was done before it stopped. */
export function interruptedError(done: string, hint?: string): CliError {
  return new CliError(`Interrupted (Ctrl-C): ${done}`, {exitCode: ExitCode.Interrupted, code: 'Interrupted', hint})
}

/** What a command prints when it fails, in words and as JSON. */
export interface Failure {
  exitCode: number
  code: string
  message: string
  hint?: string
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'TokenRefreshRequired',
  'InvalidIdentityToken',
])

/** What to do about expired credentials, the same wherever they are noticed. */
export const EXPIRED_SESSION_HINT =
  'Sign in again (for SSO profiles: aws sso login --profile <name>), or refresh the AWS_* session variables.'

function credentialHint(name: string): string {
  if (name.startsWith('Expired') || name === 'TokenRefreshRequired') return EXPIRED_SESSION_HINT
  if (name.startsWith('AccessDenied') || name === 'AuthorizationError')
    return (
      'The identity in use lacks a permission: attach the EventPulse CLI policy for your part (stack output ' +
      'UploaderCliPolicyArn or AdminCliPolicyArn) ' +
      'or pick another --profile.'
    )
  return 'Check --profile, AWS_PROFILE or the AWS_* environment variables, and that the keys are current.'
}

/** Turns anything thrown into what the user sees, with the exit code that the README promises. */
export function toFailure(error: unknown): Failure {
  if (error instanceof CliError)
    return {exitCode: error.exitCode, code: error.code, message: error.message, hint: error.hint}
  const err = error as {name?: string; code?: string; message?: string; oclif?: {exit?: number}; $metadata?: unknown}
  const message = err?.message || String(error)
  if (err?.oclif?.exit !== undefined) return {exitCode: ExitCode.Usage, code: err.name || 'UsageError', message}
  const name = err?.name ?? ''
  if (CREDENTIAL_ERRORS.has(name) || CREDENTIAL_ERRORS.has(err?.code ?? ''))
    return {exitCode: ExitCode.Credentials, code: name || 'CredentialsError', message, hint: credentialHint(name)}
  if (NETWORK_ERROR_CODES.has(err?.code ?? '') || name === 'TimeoutError')
    return {
      exitCode: ExitCode.Aws,
      code: err.code ?? name,
      message,
      hint: 'Check the network, proxy settings (HTTPS_PROXY) and --endpoint-url.',
    }
  if (err?.$metadata !== undefined) return {exitCode: ExitCode.Aws, code: name || 'AwsError', message}
  return {
    exitCode: ExitCode.Internal,
    code: 'InternalError',
    message,
    hint: 'This is a bug in EventPulse; please report it with the command you ran.',
  }
}
