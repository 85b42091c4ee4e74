/** What the processor needs to know about an error from an AWS call. */
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

const NETWORK = new Set([
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
  if (THROTTLING.has(err.name ?? '') || NETWORK.has(err.code ?? '')) return true
  const status = httpStatus(error)
  return status !== undefined && (status >= 500 || status === 429 || status === 409)
}

export const isPreconditionFailed = (error: unknown): boolean =>
  httpStatus(error) === 412 || (error as AwsError)?.name === 'PreconditionFailed'

export const isNoSuchKey = (error: unknown): boolean => {
  const name = (error as AwsError)?.name
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(error) === 404 && name !== 'NoSuchBucket')
}

export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as AwsError)?.name === 'ConditionalCheckFailedException'
