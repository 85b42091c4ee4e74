import {InvokeCommand, LambdaClient} from '@aws-sdk/client-lambda'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it, vi} from 'vitest'

import {STACK_OUTPUTS, SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import type {SweepResult} from '#processor/sweep.js'
import {sweepLines, sweepOnAws} from '#sweep/run-sweep.js'
import {resolveTarget} from '#target/resolve-target.js'
import Sweep from '../../src/commands/sweep.js'
import {mockDeployedStack} from '../helpers/deployed-stack.js'
import {PROJECT_ROOT} from '../helpers/run-cli.js'

// `sweep` against a deployed stack, at the SDK boundary: the processor invoked in sweep mode and waited for.

const stack = mockDeployedStack()
const lambda = mockClient(LambdaClient)

const FUNCTION = 'EventPulse-ProcessorFunction-AbC123'
const OUTPUTS = {
  [STACK_OUTPUTS.processorFunctionName]: FUNCTION,
  [STACK_OUTPUTS.quarantineAdminRoleArn]: 'arn:aws:iam::123456789012:role/EventPulse-QuarantineAdmin',
}
const RESULT: SweepResult = {
  swept: 4,
  recovered: 2,
  failed: 1,
  gaveUp: ['2026/stuck.json'],
  givenUpBefore: 1,
  complete: true,
}
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

beforeEach(() => {
  lambda.reset()
  stack.answerWith(OUTPUTS)
})

const target = () =>
  resolveTarget({stack: 'EventPulse', 'assume-role': true}, {role: 'quarantineAdmin', needs: ['processorFunctionName']})

describe('sweep on AWS', () => {
  it("invokes the stack's processor with the schedule's sweep request, waits, and reports what the sweep did", async () => {
    lambda.on(InvokeCommand).resolves({StatusCode: 200, Payload: payload(RESULT)})
    expect(await sweepOnAws(await target())).toEqual(RESULT)
    const [call] = lambda.commandCalls(InvokeCommand)
    expect(call.args[0].input).toMatchObject({FunctionName: FUNCTION, InvocationType: 'RequestResponse'})
    expect(JSON.parse(call.args[0].input.Payload as string)).toEqual(SWEEP_REQUEST)
    expect(sweepLines(RESULT)).toEqual([
      'Swept 4 objects: 2 recovered (their event never came), 1 failed (tried again by a later run), 1 given up.',
      '  given up: 2026/stuck.json (its event is a dead letter: `eventpulse dead-letters list`)',
      'Left alone: 1 object given up on by an earlier run.',
    ])
  })

  it('fails with exit 4 and the function error when the sweep failed, or when the answer is no sweep result', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({errorType: 'AccessDenied', errorMessage: 'not allowed to list the bucket'}),
    })
    await expect(sweepOnAws(await target())).rejects.toMatchObject({
      exitCode: 4,
      code: 'SweepFailed',
      message: `The sweep failed in ${FUNCTION} (Unhandled): AccessDenied: not allowed to list the bucket`,
    })
    lambda.on(InvokeCommand).resolves({StatusCode: 200, Payload: payload([{outcome: 'skipped'}])})
    await expect(sweepOnAws(await target())).rejects.toMatchObject({exitCode: 4, code: 'NotASweep'})
  })

  it('as a command: --json prints one document, the function error with status 4, and exits 4', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({errorType: 'Error', errorMessage: 'boom'}),
    })
    // oclif writes through console.log.
    const printed: string[] = []
    const log = vi.spyOn(console, 'log').mockImplementation((line) => printed.push(line))
    try {
      await expect(Sweep.run(['--json'], PROJECT_ROOT)).rejects.toMatchObject({oclif: {exit: 4}})
    } finally {
      log.mockRestore()
    }
    expect(printed).toHaveLength(1)
    expect(JSON.parse(printed[0])).toEqual({
      status: 4,
      error: {
        code: 'SweepFailed',
        message: `The sweep failed in ${FUNCTION} (Unhandled): Error: boom`,
        hint: expect.stringContaining('log group'),
      },
    })
  })
})
