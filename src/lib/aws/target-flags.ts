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
  'dead-letter-queue-url'?: string
  'processor-dead-letter-queue-url'?: string
  'processor-function'?: string
}
