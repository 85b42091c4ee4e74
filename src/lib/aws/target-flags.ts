import {DEFAULT_STACK_NAME} from '#contract/pipeline-contract.js'

/** The values of the flags that say where a command acts and as whom (the flags themselves: cli/pipeline-flags). */
export interface PipelineFlagValues {
  local?: boolean
  profile?: string
  region?: string
  'endpoint-url'?: string
  stack: string
  'role-arn'?: string
  'assume-role': boolean
  'mfa-serial'?: string
  'external-id'?: string
  'processing-bucket'?: string
  'quarantine-bucket'?: string
  table?: string
  'outcomes-table'?: string
  'history-table'?: string
  'topic-arn'?: string
  'dead-letter-queue-url'?: string
  'processor-dead-letter-queue-url'?: string
  'processor-function'?: string
}

/**
 * The flags that picked the target, as command-line words, so that a command a hint prints acts where the command
 * that printed it did: `--local`, or the --profile, --region, --endpoint-url and --stack it was given.
 */
export function targetArguments(flags: PipelineFlagValues): string[] {
  if (flags.local) return ['--local']
  const given = (['profile', 'region', 'endpoint-url'] as const).filter((name) => flags[name])
  const words = given.flatMap((name) => [`--${name}`, flags[name]!])
  return flags.stack && flags.stack !== DEFAULT_STACK_NAME ? [...words, '--stack', flags.stack] : words
}
