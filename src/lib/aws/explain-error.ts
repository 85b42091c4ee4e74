import {CliError, EXPIRED_SESSION_HINT} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/**
 * AWS errors a user can act on, said in words with what to do; anything else is left to toFailure(),
 * which already classifies credential (exit 3) and other AWS/network errors (exit 4).
 */
export function explainAwsError(error: unknown, context: {label?: string} = {}): unknown {
  if (error instanceof CliError) return error
  const err = error as {name?: string; Code?: string; message?: string; BucketName?: string}
  const name = err?.name ?? ''
  const where = context.label ? ` (${context.label})` : ''
  switch (name) {
    case 'NoSuchBucket':
      return new CliError(`${err.BucketName ? `Bucket ${err.BucketName}` : 'The bucket'} does not exist${where}.`, {
        exitCode: ExitCode.Aws,
        code: 'BucketNotFound',
        cause: error,
        hint:
          'Check --stack, --region and --profile. If the stack was redeployed, its cached outputs may be stale: ' +
          'delete them under ~/.cache/eventpulse/stacks/.',
      })
    case 'ResourceNotFoundException':
      return new CliError(`A table or index the command needs does not exist${where}: ${err.message}`, {
        exitCode: ExitCode.Aws,
        code: 'TableNotFound',
        cause: error,
        hint: 'Check --stack, --region and --profile, or --table.',
      })
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'TokenRefreshRequired':
      return new CliError(`Your AWS session has expired${where}.`, {
        exitCode: ExitCode.Credentials,
        code: 'ExpiredToken',
        cause: error,
        hint: EXPIRED_SESSION_HINT,
      })
    default:
      return error
  }
}

/** S3 refused a conditional write (If-None-Match: *): the key exists (412) or is being written right now (409). */
export function isConditionalWriteConflict(error: unknown): boolean {
  const {name, $metadata: metadata} = error as {name?: string; $metadata?: {httpStatusCode?: number}}
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || metadata?.httpStatusCode === 412
}
