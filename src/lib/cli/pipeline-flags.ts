import {Flags} from '@oclif/core'
import type {OptionFlag} from '@oclif/core/interfaces'

import {RESOURCE_FLAGS, type ResourceName} from '#aws/clients.js'
import {commonFlags} from './common-flags.js'

/** Flags of every command that talks to the pipeline: where it is, whose credentials, which role. */
const targetFlags = {
  local: commonFlags.local,
  profile: commonFlags.profile,
  region: commonFlags.region,
  'endpoint-url': commonFlags['endpoint-url'],
  stack: commonFlags.stack,
  'role-arn': Flags.string({
    description:
      'Assume this role instead of the one the stack provides for the command (uploader or quarantine admin).',
  }),
  'assume-role': Flags.boolean({
    description:
      "Assume the stack's role for the command (default). --no-assume-role uses your credentials as they are.",
    allowNo: true,
    default: true,
  }),
  'mfa-serial': Flags.string({
    description:
      "MFA device ARN for assuming the role; the code is asked for on the terminal (default: the profile's mfa_serial).",
  }),
  'external-id': Flags.string({
    description: 'External id the role requires (deployed with --external-id, for cross-account trust).',
  }),
}

const resourceFlags: Record<ResourceName, OptionFlag<string | undefined>> = {
  processingBucket: Flags.string({
    description: 'Processing bucket name (default: the stack output ProcessingBucketName).',
  }),
  quarantineBucket: Flags.string({
    description: 'Quarantine bucket name (default: the stack output QuarantineBucketName).',
  }),
  table: Flags.string({description: 'Table name (default: the stack output TableName).'}),
  outcomesTable: Flags.string({description: 'Outcomes table name (default: the stack output OutcomesTableName).'}),
  historyTable: Flags.string({description: 'History table name (default: the stack output HistoryTableName).'}),
  topicArn: Flags.string({description: 'Notifications topic ARN (default: the stack output TopicArn).'}),
  deadLetterQueueUrl: Flags.string({
    description:
      'URL of the queue of events EventBridge could not deliver (default: the stack output DeadLetterQueueUrl).',
  }),
  processorDeadLetterQueueUrl: Flags.string({
    description:
      "URL of the processor's queue of failed invocations (default: the stack output ProcessorDeadLetterQueueUrl).",
  }),
  processorFunctionName: Flags.string({
    description: 'Processor Lambda function name or ARN (default: the stack output ProcessorFunctionName).',
  }),
}

type ResourceFlags<R extends ResourceName> = {[K in R as (typeof RESOURCE_FLAGS)[K]]: OptionFlag<string | undefined>}

/**
 * The target flags, and a flag naming each of the resources the command uses (and no other, so that its help lists
 * only flags that do something).
 */
export function pipelineFlags<R extends ResourceName>(...resources: R[]): typeof targetFlags & ResourceFlags<R> {
  return {
    ...targetFlags,
    ...(Object.fromEntries(resources.map((name) => [RESOURCE_FLAGS[name], resourceFlags[name]])) as ResourceFlags<R>),
  }
}

/** Said in the help of every command that runs as the quarantine-admin role. */
export const ADMIN_ROLE_HELP = `Runs as the quarantine-admin role, which requires MFA unless the stack was
deployed with --no-require-mfa: the code is asked for on the terminal, for the
device --mfa-serial names (default: the profile's mfa_serial).`
