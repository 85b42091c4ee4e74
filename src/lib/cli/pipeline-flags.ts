import {Flags} from '@oclif/core'

import {commonFlags} from './common-flags.js'

/** Flags of every command that talks to the pipeline: where it is, whose credentials, which role, which names. */
export const pipelineFlags = {
  local: commonFlags.local,
  profile: commonFlags.profile,
  region: commonFlags.region,
  'endpoint-url': commonFlags['endpoint-url'],
  stack: commonFlags.stack,
  'role-arn': Flags.string({
    description:
      'Assume this role instead of the one the stack provides for the command (uploader or quarantine admin).',
    exclusive: ['local'],
  }),
  'assume-role': Flags.boolean({
    description:
      "Assume the stack's role for the command (default). --no-assume-role uses your credentials as they are.",
    allowNo: true,
    default: true,
  }),
  'mfa-serial': Flags.string({
    description:
      'MFA device ARN for assuming the role; the code is asked for on the terminal ' +
      "(default: the profile's mfa_serial).",
    exclusive: ['local'],
  }),
  'external-id': Flags.string({
    description: 'External id the role requires (deployed with --external-id, for cross-account trust).',
    exclusive: ['local'],
  }),
  'processing-bucket': Flags.string({
    description: 'Processing bucket name (default: the stack output ProcessingBucketName).',
  }),
  'quarantine-bucket': Flags.string({
    description: 'Quarantine bucket name (default: the stack output QuarantineBucketName).',
  }),
  table: Flags.string({description: 'Table name (default: the stack output TableName).'}),
  'outcomes-table': Flags.string({description: 'Outcomes table name (default: the stack output OutcomesTableName).'}),
}
