import {describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {selftestDeployedStack, type SelftestSteps} from '#selftest/after-deploy.js'
import type {NotificationSource} from '#selftest/notification-sources.js'
import type {SelftestOptions, SelftestReport} from '#selftest/run-selftest.js'

// What `deploy` ends with, given the two steps of a selftest: where it runs (the stack just deployed, as the selftest
// role) and the run. The run itself is tested at the SDK boundary in aws.test.ts.

const TARGET = {label: 'stack Catalog in eu-west-1'} as PipelineTarget
const NOTIFICATIONS = {} as NotificationSource
const DEPLOYED = {stack: 'Catalog', region: 'eu-west-1', profile: 'prod', externalId: 'ext-42'}

const passed: SelftestReport = {
  ok: true,
  runId: 'r1',
  target: 'stack Catalog in eu-west-1',
  steps: [{step: 'valid record', status: 'pass', ms: 1200, detail: 'stored'}],
}
const failed: SelftestReport = {
  ...passed,
  ok: false,
  steps: [
    ...passed.steps,
    {step: 'invalid record', status: 'fail', ms: 300_000, detail: 'never quarantined', cause: 'the rule or function'},
  ],
}

/** Steps that record what they were given and answer as told. */
function steps(answer: {report?: SelftestReport; targetError?: Error; runError?: Error}) {
  const given: {flags?: PipelineFlagValues; options?: SelftestOptions} = {}
  const fake: SelftestSteps = {
    target: async (flags) => {
      given.flags = flags
      if (answer.targetError) throw answer.targetError
      return {target: TARGET, notifications: NOTIFICATIONS}
    },
    run: async (options) => {
      given.options = options
      if (answer.runError) throw answer.runError
      return answer.report!
    },
  }
  return {fake, given}
}

const awsError = (name: string, message: string) =>
  Object.assign(new Error(message), {name, $metadata: {httpStatusCode: 403}})

describe("deploy's closing selftest", () => {
  it('runs on the deployed stack as the selftest role, with its profile, region and external id, for 5 minutes', async () => {
    const {fake, given} = steps({report: passed})
    await selftestDeployedStack(DEPLOYED, fake)
    expect(given.flags).toEqual({
      stack: 'Catalog',
      region: 'eu-west-1',
      profile: 'prod',
      'external-id': 'ext-42',
      'assume-role': true,
    })
    expect(given.options).toEqual({target: TARGET, notifications: NOTIFICATIONS, timeoutMs: 300_000})
  })

  it('passed: exit 0, the report lines and the report', async () => {
    const result = await selftestDeployedStack(DEPLOYED, steps({report: passed}).fake)
    expect(result.exitCode).toBe(0)
    expect(result.lines).toEqual([
      'ok    valid record: stored (1.2 s)',
      'Selftest passed on stack Catalog in eu-west-1: canaries stored, quarantined and notified as they should be, then removed.',
    ])
    expect(result.report).toBe(passed)
    expect(result.failure).toBeUndefined()
  })

  it('failed: exit 1, the failed step with its likely cause, and that the stack is deployed but does not work', async () => {
    const result = await selftestDeployedStack(DEPLOYED, steps({report: failed}).fake)
    expect(result.exitCode).toBe(1)
    expect(result.lines).toEqual([
      'ok    valid record: stored (1.2 s)',
      'FAIL  invalid record: never quarantined (300.0 s)',
      '      likely cause: the rule or function',
      'Selftest failed on stack Catalog in eu-west-1: 1 of 2 steps.',
      'The stack is deployed, but the SELFTEST FAILED: see the likely causes above.',
    ])
    expect(result.report).toBe(failed)
  })

  it('the selftest role cannot be assumed: exit 3, why and what to do, no report', async () => {
    const denied = awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole')
    const result = await selftestDeployedStack(DEPLOYED, steps({targetError: denied}).fake)
    expect(result.exitCode).toBe(3)
    expect(result.lines[0]).toBe(
      'The stack is deployed, but the SELFTEST COULD NOT RUN: not authorized to perform: sts:AssumeRole',
    )
    expect(result.lines[1]).toMatch(/UploaderCliPolicyArn/)
    expect(result.lines).toHaveLength(2)
    expect(result.report).toBeUndefined()
    expect(result.failure).toMatchObject({exitCode: 3, code: 'AccessDenied'})
  })

  it('the network fails during the run: exit 4', async () => {
    const reset = Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'})
    const result = await selftestDeployedStack(DEPLOYED, steps({report: passed, runError: reset}).fake)
    expect(result.exitCode).toBe(4)
    expect(result.lines[0]).toBe('The stack is deployed, but the SELFTEST COULD NOT RUN: socket hang up')
    expect(result.failure).toMatchObject({exitCode: 4, code: 'ECONNRESET'})
  })
})
