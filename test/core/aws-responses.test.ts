import {describe, expect, it} from 'vitest'

import {
  httpStatus,
  isConditionalCheckFailed,
  isNoSuchKey,
  isPreconditionFailed,
  isTransientError,
  isUnsupportedRequest,
  unquoteEtag,
} from '#core/aws-responses.js'

/** An SDK-like error: a name and, when given, the HTTP status of the response. */
const awsError = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(status === undefined ? {} : {$metadata: {httpStatusCode: status}}),
    ...extra,
  })

describe('httpStatus', () => {
  it('reads the response metadata, else the raw response, else nothing', () => {
    expect(httpStatus({$metadata: {httpStatusCode: 503}})).toBe(503)
    expect(httpStatus({$response: {statusCode: 404}})).toBe(404)
    expect(httpStatus({$metadata: {httpStatusCode: 412}, $response: {statusCode: 200}})).toBe(412)
    expect(httpStatus({$metadata: {}, $response: {statusCode: 409}})).toBe(409)
    expect(httpStatus({$metadata: {}})).toBeUndefined()
    expect(httpStatus(new Error('plain'))).toBeUndefined()
    expect(httpStatus(undefined)).toBeUndefined()
    expect(httpStatus(null)).toBeUndefined()
  })
})

describe('isTransientError', () => {
  it.each([
    [500, true],
    [503, true],
    [599, true],
    [499, false],
    [429, true],
    [428, false],
    [430, false],
    [409, true],
    [408, false],
    [410, false],
    [404, false],
    [400, false],
  ])('HTTP %i: %s', (status, transient) => {
    expect(isTransientError(awsError('SomeError', status))).toBe(transient)
    expect(isTransientError({$response: {statusCode: status}})).toBe(transient)
  })

  it('takes the SDK’s $retryable, whatever the status', () => {
    expect(isTransientError(awsError('SomeError', 400, {$retryable: {throttling: false}}))).toBe(true)
    expect(isTransientError(awsError('SomeError', 400, {$retryable: false}))).toBe(false)
    expect(isTransientError(awsError('SomeError', undefined, {$retryable: {}}))).toBe(true)
  })

  it('knows throttling and timeouts by name, without a status', () => {
    for (const name of ['ThrottlingException', 'SlowDown', 'TimeoutError', 'ProvisionedThroughputExceededException'])
      expect(isTransientError(awsError(name)), name).toBe(true)
    expect(isTransientError(awsError('ValidationException'))).toBe(false)
    expect(isTransientError(awsError('ValidationException', 400))).toBe(false)
  })

  it('knows dropped connections by their socket code', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])
      expect(isTransientError(Object.assign(new Error('socket'), {code})), code).toBe(true)
    expect(isTransientError(Object.assign(new Error('file'), {code: 'ENOENT'}))).toBe(false)
  })

  it('is false for what is not an error object', () => {
    expect(isTransientError(undefined)).toBe(false)
    expect(isTransientError(null)).toBe(false)
    expect(isTransientError('ThrottlingException')).toBe(false)
    expect(isTransientError(503)).toBe(false)
    expect(isTransientError({})).toBe(false)
    // Only an object is an error: a function is not, whatever it carries.
    expect(isTransientError(Object.assign(() => {}, {$retryable: {}}))).toBe(false)
  })
})

describe('isPreconditionFailed', () => {
  it('is a 412 or a PreconditionFailed error', () => {
    expect(isPreconditionFailed(awsError('Unknown', 412))).toBe(true)
    expect(isPreconditionFailed(awsError('PreconditionFailed'))).toBe(true)
    expect(isPreconditionFailed(awsError('PreconditionFailed', 400))).toBe(true)
    expect(isPreconditionFailed(awsError('Unknown', 400))).toBe(false)
    expect(isPreconditionFailed(awsError('Unknown'))).toBe(false)
    expect(isPreconditionFailed(undefined)).toBe(false)
  })
})

describe('isNoSuchKey', () => {
  it('is NoSuchKey, NotFound, or a bare 404 that is not a missing bucket', () => {
    expect(isNoSuchKey(awsError('NoSuchKey'))).toBe(true)
    expect(isNoSuchKey(awsError('NotFound'))).toBe(true)
    expect(isNoSuchKey(awsError('NoSuchKey', 400))).toBe(true)
    expect(isNoSuchKey(awsError('Unknown', 404))).toBe(true)
    expect(isNoSuchKey({$response: {statusCode: 404}})).toBe(true)
    expect(isNoSuchKey(awsError('NoSuchBucket', 404))).toBe(false)
    expect(isNoSuchKey(awsError('NoSuchBucket'))).toBe(false)
    expect(isNoSuchKey(awsError('Unknown', 403))).toBe(false)
    expect(isNoSuchKey(awsError('Unknown'))).toBe(false)
    expect(isNoSuchKey(undefined)).toBe(false)
  })
})

describe('isUnsupportedRequest', () => {
  it('is NotImplemented, MethodNotAllowed, 501 or 405', () => {
    expect(isUnsupportedRequest(awsError('NotImplemented'))).toBe(true)
    expect(isUnsupportedRequest(awsError('MethodNotAllowed'))).toBe(true)
    expect(isUnsupportedRequest(awsError('Unknown', 501))).toBe(true)
    expect(isUnsupportedRequest(awsError('Unknown', 405))).toBe(true)
    expect(isUnsupportedRequest(awsError('Unknown', 500))).toBe(false)
    expect(isUnsupportedRequest(awsError('Unknown', 404))).toBe(false)
    expect(isUnsupportedRequest(awsError('Unknown'))).toBe(false)
    expect(isUnsupportedRequest(undefined)).toBe(false)
  })
})

describe('isConditionalCheckFailed', () => {
  it('is DynamoDB’s ConditionalCheckFailedException only', () => {
    expect(isConditionalCheckFailed(awsError('ConditionalCheckFailedException', 400))).toBe(true)
    expect(isConditionalCheckFailed(awsError('TransactionCanceledException', 400))).toBe(false)
    expect(isConditionalCheckFailed(undefined)).toBe(false)
  })
})

describe('unquoteEtag', () => {
  it.each([
    ['"abc123"', 'abc123'],
    ['W/"abc123"', 'abc123'],
    ['abc123', 'abc123'],
    ['"abc123', 'abc123'],
    ['abc123"', 'abc123'],
    ['a"b', 'a"b'],
    ['W/abc', 'W/abc'],
    ['xW/"abc"', 'xW/"abc'],
    ['""', ''],
  ])('%j → %j', (etag, unquoted) => {
    expect(unquoteEtag(etag)).toBe(unquoted)
  })
})
