import {InvokeCommand, LambdaClient} from '@aws-sdk/client-lambda'
import {S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import type {SweepResult} from '#processor/sweep.js'
import {sweepLines, sweepOnAws} from '#sweep/run-sweep.js'

// `sweep` on AWS at the SDK boundary: exactly what is sent to the processor, and every way its answer is read and
// told. The target is made by hand (its function name is all the sweep needs of the stack).

const lambda = mockClient(LambdaClient)
const FUNCTION = 'EventPulse-ProcessorFunction-XyZ789'
const target = (): PipelineTarget => ({
  label: 'stack EventPulse in eu-west-1',
  region: 'eu-west-1',
  concurrency: 4,
  resources: {processorFunctionName: FUNCTION},
  s3: new S3Client({region: 'eu-west-1'}),
  lambda: new LambdaClient({region: 'eu-west-1'}),
})
const bytes = (text: string) => new TextEncoder().encode(text)
const answer = (value: unknown, functionError?: string) =>
  lambda
    .on(InvokeCommand)
    .resolves({StatusCode: 200, FunctionError: functionError, Payload: bytes(JSON.stringify(value))})

const RESULT: SweepResult = {swept: 1, recovered: 1, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true}

beforeEach(() => lambda.reset())

describe('sweepOnAws', () => {
  it("sends exactly one synchronous invocation of the function with the schedule's request, and answers the result", async () => {
    answer(RESULT)
    expect(await sweepOnAws(target())).toEqual(RESULT)
    expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input)).toEqual([
      {FunctionName: FUNCTION, InvocationType: 'RequestResponse', Payload: '{"eventpulse":"sweep"}'},
    ])
  })

  it('a function error: exit 4, SweepFailed, its type and message, and where to look', async () => {
    answer({errorType: 'Runtime.ExitError', errorMessage: 'exited with signal SIGKILL'}, 'Unhandled')
    await expect(sweepOnAws(target())).rejects.toMatchObject({
      exitCode: 4,
      code: 'SweepFailed',
      message: `The sweep failed in ${FUNCTION} (Unhandled): Runtime.ExitError: exited with signal SIGKILL`,
      hint: "The function's log group tells more; objects it did not finish wait for the next run.",
    })
  })

  it.each([
    ['only a message', '{"errorMessage":"Task timed out"}', 'Task timed out'],
    ['only a type', '{"errorType":"Sandbox.Timedout"}', 'Sandbox.Timedout'],
    ['neither', '{}', 'no error message'],
    ['a payload that is not JSON', '<html>', 'no error message'],
  ])('a function error with %s', async (_, payload, said) => {
    lambda.on(InvokeCommand).resolves({StatusCode: 200, FunctionError: 'Unhandled', Payload: bytes(payload)})
    await expect(sweepOnAws(target())).rejects.toMatchObject({
      code: 'SweepFailed',
      message: `The sweep failed in ${FUNCTION} (Unhandled): ${said}`,
    })
  })

  it('a function error whose payload is null says there is no message', async () => {
    answer(null, 'Handled')
    await expect(sweepOnAws(target())).rejects.toMatchObject({
      message: `The sweep failed in ${FUNCTION} (Handled): no error message`,
    })
  })

  it.each([
    ['no payload', undefined],
    ['text that is not JSON', bytes('OK')],
    ['null', bytes('null')],
    ['swept as text', bytes(JSON.stringify({...RESULT, swept: '1'}))],
    ['no recovered', bytes(JSON.stringify({...RESULT, recovered: undefined}))],
    ['failed as text', bytes(JSON.stringify({...RESULT, failed: '0'}))],
    ['gaveUp not a list', bytes(JSON.stringify({...RESULT, gaveUp: 'none'}))],
    ['a batch result', bytes(JSON.stringify([{outcome: 'stored'}]))],
  ])('an answer that is no sweep result (%s): exit 4, NotASweep', async (_, payload) => {
    lambda.on(InvokeCommand).resolves({StatusCode: 200, Payload: payload})
    await expect(sweepOnAws(target())).rejects.toMatchObject({
      exitCode: 4,
      code: 'NotASweep',
      message: `${FUNCTION} did not answer with what a sweep did.`,
      hint: 'Is it the EventPulse processor? Redeploy the stack with this version of EventPulse.',
    })
  })

  it('a target without the function name is a usage error, and nothing is invoked', async () => {
    await expect(sweepOnAws({...target(), resources: {}})).rejects.toMatchObject({exitCode: 2})
    expect(lambda.commandCalls(InvokeCommand)).toEqual([])
  })
})

describe('sweepLines', () => {
  it('nothing swept: one line', () => {
    expect(sweepLines({swept: 0, recovered: 0, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true})).toEqual([
      'Nothing to sweep: no object older than the stuck age waits in the processing bucket.',
    ])
  })

  it('one object, nothing left alone, complete', () => {
    expect(sweepLines({swept: 1, recovered: 0, failed: 1, gaveUp: [], givenUpBefore: 0, complete: true})).toEqual([
      'Swept 1 object: 0 recovered (their event never came), 1 failed (tried again by a later run), 0 given up.',
    ])
  })

  it('several objects, each given up named, several left alone, stopped early', () => {
    expect(
      sweepLines({
        swept: 5,
        recovered: 2,
        failed: 1,
        gaveUp: ['a/1.json', 'b/2.json'],
        givenUpBefore: 3,
        complete: false,
      }),
    ).toEqual([
      'Swept 5 objects: 2 recovered (their event never came), 1 failed (tried again by a later run), 2 given up.',
      '  given up: a/1.json (its event is a dead letter: `eventpulse dead-letters list`)',
      '  given up: b/2.json (its event is a dead letter: `eventpulse dead-letters list`)',
      'Left alone: 3 objects given up on by an earlier run.',
      'Stopped early (its share of objects, or time): the rest waits for the next run.',
    ])
  })

  it('nothing swept but left alone and stopped early still says so', () => {
    expect(sweepLines({swept: 0, recovered: 0, failed: 0, gaveUp: [], givenUpBefore: 1, complete: false})).toEqual([
      'Nothing to sweep: no object older than the stuck age waits in the processing bucket.',
      'Left alone: 1 object given up on by an earlier run.',
      'Stopped early (its share of objects, or time): the rest waits for the next run.',
    ])
  })
})
