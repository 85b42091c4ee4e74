import {describe, expect, it} from 'vitest'

import {cancelledError, CliError, EXPIRED_SESSION_HINT, interruptedError, toFailure, usageError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

const EXPIRED =
  'Sign in again (for SSO profiles: aws sso login --profile <name>), or refresh the AWS_* session variables.'
const DENIED =
  'The identity in use lacks a permission: attach the EventPulse CLI policy for your part (stack output ' +
  'UploaderCliPolicyArn or AdminCliPolicyArn) or pick another --profile.'
const CHECK_PROFILE = 'Check --profile, AWS_PROFILE or the AWS_* environment variables, and that the keys are current.'
const NETWORK = 'Check the network, proxy settings (HTTPS_PROXY) and --endpoint-url.'
const BUG = 'This is a bug in EventPulse; please report it with the command you ran.'

/** An error as the AWS SDK throws it: a name, a message, the response's metadata. */
const awsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), {name, $metadata: {httpStatusCode: 400}, ...extra})

describe('exit codes', () => {
  it('are the ones the README lists', () => {
    expect(ExitCode).toEqual({
      Success: 0,
      Negative: 1,
      Usage: 2,
      Credentials: 3,
      Aws: 4,
      Internal: 70,
      Interrupted: 130,
    })
  })
})

describe('CliError and its makers', () => {
  it('keeps message, exit code, code, hint and cause', () => {
    const cause = new Error('under')
    const error = new CliError('Bucket x does not exist.', {
      exitCode: 4,
      code: 'BucketNotFound',
      hint: 'Check it.',
      cause,
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('CliError')
    expect(error.message).toBe('Bucket x does not exist.')
    expect(error.exitCode).toBe(4)
    expect(error.code).toBe('BucketNotFound')
    expect(error.hint).toBe('Check it.')
    expect(error.cause).toBe(cause)
  })

  it('usageError: exit 2, UsageError, with or without a hint', () => {
    const withHint = usageError('No such file: a.json', 'Give a path that exists.')
    expect([withHint.message, withHint.exitCode, withHint.code, withHint.hint]).toEqual([
      'No such file: a.json',
      2,
      'UsageError',
      'Give a path that exists.',
    ])
    expect(usageError('Bad flag').hint).toBeUndefined()
  })

  it('cancelledError: Ctrl-C at a prompt, exit 130, nothing done', () => {
    const error = cancelledError('Run it again when ready.')
    expect([error.message, error.exitCode, error.code, error.hint]).toEqual([
      'Cancelled at the prompt (Ctrl-C); nothing was done.',
      130,
      'Cancelled',
      'Run it again when ready.',
    ])
  })

  it('interruptedError: Ctrl-C during work, saying what was done, exit 130', () => {
    const error = interruptedError('3 of 10 files uploaded.', 'Run it again for the rest.')
    expect([error.message, error.exitCode, error.code, error.hint]).toEqual([
      'Interrupted (Ctrl-C): 3 of 10 files uploaded.',
      130,
      'Interrupted',
      'Run it again for the rest.',
    ])
    expect(interruptedError('nothing sent.').hint).toBeUndefined()
  })
})

describe('toFailure', () => {
  it('passes a CliError through as it is', () => {
    expect(toFailure(new CliError('Not in quarantine.', {exitCode: 1, code: 'NotFound', hint: 'List them.'}))).toEqual({
      exitCode: 1,
      code: 'NotFound',
      message: 'Not in quarantine.',
      hint: 'List them.',
    })
  })

  it('makes an oclif parse error a usage error (exit 2)', () => {
    const parse = Object.assign(new Error('Unexpected argument: x'), {name: 'UnexpectedArgsError', oclif: {exit: 2}})
    expect(toFailure(parse)).toStrictEqual({
      exitCode: 2,
      code: 'UnexpectedArgsError',
      message: 'Unexpected argument: x',
    })
    expect(toFailure({message: 'Missing flag', oclif: {exit: 0}})).toStrictEqual({
      exitCode: 2,
      code: 'UsageError',
      message: 'Missing flag',
    })
    // oclif without an exit code is no parse error.
    expect(toFailure({message: 'odd', oclif: {}})).toEqual({
      exitCode: 70,
      code: 'InternalError',
      message: 'odd',
      hint: BUG,
    })
  })

  it.each([
    ['ExpiredToken', EXPIRED],
    ['ExpiredTokenException', EXPIRED],
    ['TokenRefreshRequired', EXPIRED],
    ['AccessDenied', DENIED],
    ['AccessDeniedException', DENIED],
    ['AuthorizationError', DENIED],
    ['InvalidClientTokenId', CHECK_PROFILE],
    ['UnrecognizedClientException', CHECK_PROFILE],
    ['InvalidAccessKeyId', CHECK_PROFILE],
    ['SignatureDoesNotMatch', CHECK_PROFILE],
    ['CredentialsProviderError', CHECK_PROFILE],
    ['InvalidIdentityToken', CHECK_PROFILE],
  ])('%s is a credentials failure (exit 3) with its hint', (name, hint) => {
    expect(toFailure(awsError(name))).toEqual({exitCode: 3, code: name, message: `${name} happened`, hint})
  })

  it('finds a credentials failure by its code when its name says nothing', () => {
    expect(toFailure({name: 'Error', code: 'InvalidAccessKeyId', message: 'bad key'})).toEqual({
      exitCode: 3,
      code: 'Error',
      message: 'bad key',
      hint: CHECK_PROFILE,
    })
    expect(toFailure({code: 'ExpiredToken', message: 'old'})).toEqual({
      exitCode: 3,
      code: 'CredentialsError',
      message: 'old',
      hint: CHECK_PROFILE,
    })
  })

  it('gives the expired-session hint in the words the README uses', () => {
    expect(EXPIRED_SESSION_HINT).toBe(EXPIRED)
  })

  it('makes a dropped connection or a timeout an AWS failure (exit 4) with what to check', () => {
    expect(toFailure(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))).toEqual({
      exitCode: 4,
      code: 'ECONNRESET',
      message: 'socket hang up',
      hint: NETWORK,
    })
    expect(toFailure({name: 'Error', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND'})).toEqual({
      exitCode: 4,
      code: 'ENOTFOUND',
      message: 'getaddrinfo ENOTFOUND',
      hint: NETWORK,
    })
    expect(toFailure(Object.assign(new Error('took too long'), {name: 'TimeoutError'}))).toEqual({
      exitCode: 4,
      code: 'TimeoutError',
      message: 'took too long',
      hint: NETWORK,
    })
  })

  it('makes any other AWS error an AWS failure (exit 4) under its name', () => {
    expect(toFailure(awsError('ResourceNotFoundException'))).toStrictEqual({
      exitCode: 4,
      code: 'ResourceNotFoundException',
      message: 'ResourceNotFoundException happened',
    })
    expect(toFailure({message: 'no name', $metadata: {}})).toStrictEqual({
      exitCode: 4,
      code: 'AwsError',
      message: 'no name',
    })
  })

  it('makes anything else a bug (exit 70) to report', () => {
    expect(toFailure(new TypeError('x is undefined'))).toEqual({
      exitCode: 70,
      code: 'InternalError',
      message: 'x is undefined',
      hint: BUG,
    })
    expect(toFailure('a string')).toEqual({exitCode: 70, code: 'InternalError', message: 'a string', hint: BUG})
    expect(toFailure(undefined)).toEqual({exitCode: 70, code: 'InternalError', message: 'undefined', hint: BUG})
    expect(toFailure(null)).toEqual({exitCode: 70, code: 'InternalError', message: 'null', hint: BUG})
    // An empty message: the error's own words instead.
    expect(toFailure(new RangeError(''))).toEqual({
      exitCode: 70,
      code: 'InternalError',
      message: 'RangeError',
      hint: BUG,
    })
  })
})
