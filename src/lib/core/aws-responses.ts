/**
 * What the CLI and the processor read from AWS responses and errors, without the SDK: error kinds and ETags.
 */

/** The fields of an error from an AWS call that tell what kind of failure it is. */
interface AwsError {
  name?: string
  code?: string
  $retryable?: unknown
  $metadata?: {httpStatusCode?: number}
  $response?: {statusCode?: number}
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  'ConditionalRequestConflict',
])

/** Socket errors: the request may not have reached AWS at all. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ECONNABORTED',
])

export function httpStatus(error: unknown): number | undefined {
  const err = error as AwsError
  return err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode
}

/** Throttling, 5xx, timeouts and dropped connections: worth another try, by the SDK and then by a new invocation. */
export function isTransientError(error: unknown): boolean {
  const err = error as AwsError
  if (!err || typeof err !== 'object') return false
  if (err.$retryable) return true
  if (THROTTLING.has(err.name ?? '') || NETWORK_ERROR_CODES.has(err.code ?? '')) return true
  const status = httpStatus(error)
  return status !== undefined && (status >= 500 || status === 429 || status === 409)
}

export const isPreconditionFailed = (error: unknown): boolean =>
  httpStatus(error) === 412 || (error as AwsError)?.name === 'PreconditionFailed'

/** The object (or version) is not there: 404 from GET/HEAD, as NoSuchKey, NotFound or a bare status. */
export const isNoSuchKey = (error: unknown): boolean => {
  const name = (error as AwsError)?.name
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(error) === 404 && name !== 'NoSuchBucket')
}

/** The server does not implement the request (an S3-compatible server without versioning, say): 501 or 405. */
export const isUnsupportedRequest = (error: unknown): boolean => {
  const name = (error as AwsError)?.name
  return name === 'NotImplemented' || name === 'MethodNotAllowed' || [501, 405].includes(httpStatus(error) ?? 0)
}

export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as AwsError)?.name === 'ConditionalCheckFailedException'

/** An ETag without its quotes (and weak-validator prefix), as S3 events and our metadata carry it. */
export const unquoteEtag = (etag: string): string => etag.replace(/^(W\/)?"|"$/g, '')
