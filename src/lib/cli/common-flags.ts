import {Flags} from '@oclif/core'

import {DEFAULT_STACK_NAME} from '#contract/pipeline-contract.js'

/** The common flags, one name each, shared by every command that takes them. */
export const commonFlags = {
  local: Flags.boolean({
    description: 'Use the local pipeline started by `eventpulse local start` (no AWS account, no credentials).',
    exclusive: ['profile', 'endpoint-url'],
  }),
  // AWS_PROFILE and AWS_ENDPOINT_URL are read where targets are resolved, not as flag defaults: as defaults they
  // would make `--local` (exclusive with both) fail whenever they are set in the environment.
  profile: Flags.string({description: 'AWS profile from the shared config files (default: AWS_PROFILE or "default").'}),
  region: Flags.string({description: "AWS region (default: AWS_REGION or the profile's region)."}),
  'endpoint-url': Flags.string({
    description: 'Send AWS requests to this endpoint, e.g. an S3-compatible server (default: AWS_ENDPOINT_URL).',
  }),
  stack: Flags.string({description: 'Name of the deployed EventPulse stack.', default: DEFAULT_STACK_NAME}),
  yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.'}),
  'dry-run': Flags.boolean({description: 'Show what would be done, and do nothing.'}),
  concurrency: Flags.integer({description: 'How many requests to run at once.', default: 16, min: 1, max: 256}),
}
