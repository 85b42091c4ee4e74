import {type PipelineTarget, resource} from '#aws/clients.js'
import {SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {SweepResult} from '#processor/sweep.js'

/**
 * Runs the deployed processor's sweep now: the function invoked and waited for (RequestResponse) with the request its
 * schedule sends, answering what the sweep did. A function error, or an answer that is not a sweep's, fails (exit 4).
 */
export async function sweepOnAws(target: PipelineTarget): Promise<SweepResult> {
  const {InvokeCommand} = await import('@aws-sdk/client-lambda')
  const functionName = resource(target, 'processorFunctionName')
  const {FunctionError: functionError, Payload: payload} = await target.lambda!.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: JSON.stringify(SWEEP_REQUEST),
    }),
  )
  const answer = parseAnswer(payload)
  if (functionError) {
    const {errorType, errorMessage} = (answer ?? {}) as {errorType?: string; errorMessage?: string}
    throw new CliError(
      `The sweep failed in ${functionName} (${functionError}): ${[errorType, errorMessage].filter(Boolean).join(': ') || 'no error message'}`,
      {
        exitCode: ExitCode.Aws,
        code: 'SweepFailed',
        hint: "The function's log group tells more; objects it did not finish wait for the next run.",
      },
    )
  }
  if (!isSweepResult(answer))
    throw new CliError(`${functionName} did not answer with what a sweep did.`, {
      exitCode: ExitCode.Aws,
      code: 'NotASweep',
      hint: 'Is it the EventPulse processor? Redeploy the stack with this version of EventPulse.',
    })
  return answer
}

function parseAnswer(payload: Uint8Array | undefined): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(payload))
  } catch {
    return undefined
  }
}

function isSweepResult(value: unknown): value is SweepResult {
  const result = value as Partial<SweepResult> | undefined
  return (
    typeof result?.swept === 'number' &&
    typeof result.recovered === 'number' &&
    typeof result.failed === 'number' &&
    Array.isArray(result.gaveUp)
  )
}

/** What the sweep did, for people. */
export function sweepLines(result: SweepResult): string[] {
  const {swept, recovered, failed, gaveUp, givenUpBefore, complete} = result
  const objects = (n: number) => `${n} ${n === 1 ? 'object' : 'objects'}`
  return [
    swept === 0
      ? 'Nothing to sweep: no object older than the stuck age waits in the processing bucket.'
      : `Swept ${objects(swept)}: ${recovered} recovered (their event never came), ` +
        `${failed} failed (tried again by a later run), ${gaveUp.length} given up.`,
    ...gaveUp.map((key) => `  given up: ${key} (its event is a dead letter: \`eventpulse dead-letters list\`)`),
    ...(givenUpBefore > 0 ? [`Left alone: ${objects(givenUpBefore)} given up on by an earlier run.`] : []),
    ...(complete ? [] : ['Stopped early (its share of objects, or time): the rest waits for the next run.']),
  ]
}
