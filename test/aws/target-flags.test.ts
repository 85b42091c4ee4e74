import {describe, expect, it} from 'vitest'

import {actingAs, flagResources, ROLE_NAMES} from '#aws/target.js'
import type {PipelineTarget} from '#aws/clients.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {targetArguments} from '#aws/target-flags.js'

const flags = (overrides: Partial<PipelineFlagValues> = {}): PipelineFlagValues => ({
  stack: 'EventPulse',
  'assume-role': true,
  ...overrides,
})

describe('targetArguments', () => {
  it('--local alone for the local pipeline, whatever else was given', () => {
    expect(targetArguments(flags({local: true, profile: 'dev', region: 'eu-west-1', stack: 'Other'}))).toEqual([
      '--local',
    ])
  })

  it('the profile, region and endpoint given, in that order', () => {
    expect(
      targetArguments(flags({'endpoint-url': 'http://127.0.0.1:4566', region: 'eu-west-1', profile: 'dev'})),
    ).toEqual(['--profile', 'dev', '--region', 'eu-west-1', '--endpoint-url', 'http://127.0.0.1:4566'])
    expect(targetArguments(flags({region: 'us-east-2'}))).toEqual(['--region', 'us-east-2'])
  })

  it('nothing for the defaults: no flags, empty values, the default stack', () => {
    expect(targetArguments(flags())).toEqual([])
    expect(targetArguments(flags({local: false, profile: '', region: ''}))).toEqual([])
  })

  it('--stack only for a stack other than EventPulse, after the rest', () => {
    expect(targetArguments(flags({stack: 'EventPulse-Staging', profile: 'ops'}))).toEqual([
      '--profile',
      'ops',
      '--stack',
      'EventPulse-Staging',
    ])
    expect(targetArguments(flags({stack: 'eventpulse'}))).toEqual(['--stack', 'eventpulse'])
    expect(targetArguments(flags({stack: ''}))).toEqual([])
  })

  it('leaves out flags that do not pick the target', () => {
    expect(
      targetArguments(
        flags({
          'role-arn': 'arn:aws:iam::1:role/R',
          'mfa-serial': 'arn:aws:iam::1:mfa/a',
          table: 'T',
          'assume-role': false,
        }),
      ),
    ).toEqual([])
  })
})

describe('flagResources', () => {
  it('each resource a flag names, by its resource name; none for flags not given or empty', () => {
    expect(
      flagResources(
        flags({
          'processing-bucket': 'pb',
          'quarantine-bucket': 'qb',
          table: 't',
          'outcomes-table': 'ot',
          'history-table': 'ht',
          'topic-arn': 'arn:topic',
          'dead-letter-queue-url': 'https://dlq',
          'processor-dead-letter-queue-url': 'https://pdlq',
          'processor-function': 'fn',
          'selftest-queue-url': 'https://st',
        }),
      ),
    ).toEqual({
      processingBucket: 'pb',
      quarantineBucket: 'qb',
      table: 't',
      outcomesTable: 'ot',
      historyTable: 'ht',
      topicArn: 'arn:topic',
      deadLetterQueueUrl: 'https://dlq',
      processorDeadLetterQueueUrl: 'https://pdlq',
      processorFunctionName: 'fn',
      selftestQueueUrl: 'https://st',
    })
    expect(flagResources(flags({table: '', region: 'eu-west-1'}))).toEqual({})
  })
})

describe('actingAs', () => {
  const target = (overrides: Partial<PipelineTarget>) => overrides as PipelineTarget

  it("locally the role played, by its local name; on AWS the role session's name, if a role was assumed", () => {
    expect(actingAs(target({local: true, sessionName: 'ignored'}), 'quarantineAdmin')).toBe('quarantine-admin')
    expect(actingAs(target({local: true}), 'uploader')).toBe('uploader')
    expect(actingAs(target({local: true}), 'selftest')).toBe('selftest')
    expect(actingAs(target({sessionName: 'eventpulse-alice'}), 'uploader')).toBe('eventpulse-alice')
    expect(actingAs(target({}), 'uploader')).toBeUndefined()
  })

  it('the local names of the roles', () => {
    expect(ROLE_NAMES).toEqual({uploader: 'uploader', quarantineAdmin: 'quarantine-admin', selftest: 'selftest'})
  })
})
