import {describe, expect, it} from 'vitest'

import {explainAwsError, isConditionalWriteConflict} from '#aws/explain-error.js'
import {CliError} from '#core/errors.js'

const awsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), {name, $metadata: {httpStatusCode: 400}, ...extra})

const STALE_OUTPUTS_HINT =
  'Check --stack, --region and --profile. If the stack was redeployed, its cached outputs may be stale: ' +
  'delete them under ~/.cache/eventpulse/stacks/.'
const SIGN_IN_HINT =
  'Sign in again (for SSO profiles: aws sso login --profile <name>), or refresh the AWS_* session variables.'

describe('explainAwsError', () => {
  it('a missing bucket it can name: exit 4, BucketNotFound, where it was looked for, what to check', () => {
    const cause = awsError('NoSuchBucket', {BucketName: 'ep-processing'})
    const error = explainAwsError(cause, {label: 'stack EventPulse in eu-west-1 (profile dev)'}) as CliError
    expect(error).toBeInstanceOf(CliError)
    expect(error.message).toBe('Bucket ep-processing does not exist (stack EventPulse in eu-west-1 (profile dev)).')
    expect(error.exitCode).toBe(4)
    expect(error.code).toBe('BucketNotFound')
    expect(error.hint).toBe(STALE_OUTPUTS_HINT)
    expect(error.cause).toBe(cause)
  })

  it('a missing bucket without its name, and without a label', () => {
    const error = explainAwsError(awsError('NoSuchBucket')) as CliError
    expect(error.message).toBe('The bucket does not exist.')
    expect(error.exitCode).toBe(4)
  })

  it('a missing table or index: exit 4, TableNotFound, with the AWS message and what to check', () => {
    const cause = awsError('ResourceNotFoundException', {message: 'Requested resource not found'})
    const error = explainAwsError(cause, {label: 'local pipeline'}) as CliError
    expect(error).toBeInstanceOf(CliError)
    expect(error.message).toBe(
      'A table or index the command needs does not exist (local pipeline): Requested resource not found',
    )
    expect(error.exitCode).toBe(4)
    expect(error.code).toBe('TableNotFound')
    expect(error.hint).toBe('Check --stack, --region and --profile, or --table.')
    expect(error.cause).toBe(cause)
    expect((explainAwsError(cause) as CliError).message).toBe(
      'A table or index the command needs does not exist: Requested resource not found',
    )
  })

  it.each(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired'])(
    '%s is an expired session: exit 3, ExpiredToken, how to sign in again',
    (name) => {
      const cause = awsError(name)
      const error = explainAwsError(cause, {label: 'stack EventPulse in eu-west-1 (profile default)'}) as CliError
      expect(error).toBeInstanceOf(CliError)
      expect(error.message).toBe('Your AWS session has expired (stack EventPulse in eu-west-1 (profile default)).')
      expect(error.exitCode).toBe(3)
      expect(error.code).toBe('ExpiredToken')
      expect(error.hint).toBe(SIGN_IN_HINT)
      expect(error.cause).toBe(cause)
      expect((explainAwsError(cause) as CliError).message).toBe('Your AWS session has expired.')
    },
  )

  it('an empty label adds nothing to the message', () => {
    expect((explainAwsError(awsError('NoSuchBucket'), {label: ''}) as CliError).message).toBe(
      'The bucket does not exist.',
    )
  })

  it('leaves its own errors, other AWS errors and non-errors as they are', () => {
    const mine = new CliError('x', {exitCode: 2, code: 'X'})
    expect(explainAwsError(mine)).toBe(mine)
    // A CliError whose name happens to be an AWS one is still left alone.
    const named = Object.assign(new CliError('y', {exitCode: 1, code: 'Y'}), {name: 'NoSuchBucket'})
    expect(explainAwsError(named)).toBe(named)
    for (const other of [awsError('Throttling'), awsError('NoSuchKey'), awsError('AccessDenied')])
      expect(explainAwsError(other)).toBe(other)
    expect(explainAwsError(undefined)).toBeUndefined()
    expect(explainAwsError(null)).toBeNull()
    expect(explainAwsError('text')).toBe('text')
  })
})

describe('isConditionalWriteConflict', () => {
  it('is a 412 or a 409 conditional conflict by name, or any answer with status 412', () => {
    expect(isConditionalWriteConflict(awsError('PreconditionFailed'))).toBe(true)
    expect(isConditionalWriteConflict(awsError('ConditionalRequestConflict'))).toBe(true)
    expect(isConditionalWriteConflict({name: 'Unknown', $metadata: {httpStatusCode: 412}})).toBe(true)
  })

  it('is nothing else: other names and statuses, no metadata', () => {
    expect(isConditionalWriteConflict(awsError('AccessDenied'))).toBe(false)
    expect(isConditionalWriteConflict({name: 'Unknown', $metadata: {httpStatusCode: 409}})).toBe(false)
    expect(isConditionalWriteConflict({name: 'Unknown', $metadata: {httpStatusCode: 413}})).toBe(false)
    expect(isConditionalWriteConflict({name: 'Unknown', $metadata: {httpStatusCode: 500}})).toBe(false)
    expect(isConditionalWriteConflict({name: 'Unknown'})).toBe(false)
    expect(isConditionalWriteConflict({})).toBe(false)
  })
})
