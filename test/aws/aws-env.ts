import {join} from 'node:path'

import {vi} from 'vitest'

/** The variables that change where the AWS SDK and the CLI send requests, and as whom. */
const AWS_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_CLOUDFORMATION',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_SNS',
]

/**
 * An AWS environment of the test's own (vi.stubEnv: undo with vi.unstubAllEnvs): the shared config and credentials
 * files and the cache under `home`, none of the developer's AWS_* variables, then `variables`.
 */
export function stubAwsEnv(home: string, variables: Record<string, string> = {}): void {
  vi.stubEnv('XDG_CACHE_HOME', join(home, 'cache'))
  vi.stubEnv('AWS_CONFIG_FILE', join(home, 'config'))
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(home, 'credentials'))
  for (const name of AWS_VARIABLES) vi.stubEnv(name, '')
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value)
}
