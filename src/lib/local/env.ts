import type {LocalPipelineState} from './state.js'

/**
 * The environment a foreign client (the AWS CLI, an SDK, a script) needs to reach the running local pipeline: one pair
 * of its keys (the pipeline's own, or a role's), its region and endpoints. The AWS CLI and the SDKs read these names (AWS_ENDPOINT_URL_<SERVICE>
 * since AWS CLI 2.13). Checksums only when required: s3rver stores an aws-chunked body as it came, framing included.
 */
export function localEnvironment(
  state: Pick<LocalPipelineState, 'credentials' | 'region' | 'endpoints'>,
): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: state.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: state.credentials.secretAccessKey,
    AWS_REGION: state.region,
    AWS_ENDPOINT_URL_S3: state.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: state.endpoints.dynamodb,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
  }
}

/** `export NAME="value"` lines for a POSIX shell, then how to use them (as `minikube docker-env` does). */
export function exportLines(environment: Record<string, string>, command: string): string[] {
  return [
    ...Object.entries(environment).map(([name, value]) => `export ${name}="${value}"`),
    '# To point your shell at the local pipeline, run:',
    `# eval "$(${command})"`,
  ]
}
