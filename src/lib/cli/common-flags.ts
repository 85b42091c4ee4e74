import {Flags} from '@oclif/core'

import {DEPLOY_SETTINGS} from '#contract/deploy-settings.js'

/** The common flags, one name each, shared by every command that takes them. */
export const commonFlags = {
  local: Flags.boolean({
    description: 'Use the local pipeline started by `eventpulse local start` (no AWS account, no credentials).',
    // Declared on --local alone (oclif checks it both ways): declared on both sides, oclif's usage line comes out
    // with an empty alternative, `[--mfa-serial <value> | ]`.
    exclusive: ['profile', 'endpoint-url', 'role-arn', 'mfa-serial', 'external-id'],
  }),
  // AWS_PROFILE and AWS_ENDPOINT_URL are read where targets are resolved, not as flag defaults: as defaults they
  // would make `--local` (exclusive with both) fail whenever they are set in the environment.
  // --profile, --region and --stack mean what the deploy settings of the same names mean.
  profile: Flags.string({description: DEPLOY_SETTINGS.profile.description}),
  region: Flags.string({description: DEPLOY_SETTINGS.region.description}),
  'endpoint-url': Flags.string({
    description: 'Send AWS requests to this endpoint, e.g. an S3-compatible server (default: AWS_ENDPOINT_URL).',
  }),
  stack: Flags.string({description: DEPLOY_SETTINGS.stackName.description, default: DEPLOY_SETTINGS.stackName.default}),
  yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.'}),
  'dry-run': Flags.boolean({description: 'Show what would be done, and do nothing.'}),
  quiet: Flags.boolean({char: 'q', description: 'Print only problems and the summary.'}),
  concurrency: Flags.integer({description: 'How many requests to run at once.', default: 16, min: 1, max: 256}),
}
