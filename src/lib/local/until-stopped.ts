import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

export interface ProcessFailures {
  /** Settles with the first error nothing in the process handled; never otherwise. */
  failure: Promise<CliError>
  /** Gives the process its own handling back. */
  dispose(): void
}

/**
 * Catches rejections and exceptions nothing handled (in an emulator, say), which would otherwise end the process with
 * a stack trace and leave the pipeline's state behind: the first becomes an error with a message, to stop on.
 */
export function catchProcessFailures(): ProcessFailures {
  let fail: (error: CliError) => void = () => undefined
  const failure = new Promise<CliError>((resolve) => (fail = resolve))
  const unhandled = (reason: unknown) =>
    fail(
      new CliError(
        `The local pipeline stopped on an error nothing handled: ${(reason as Error)?.message ?? String(reason)}`,
        {
          exitCode: ExitCode.Aws,
          code: 'LocalPipelineFailed',
          hint: 'Start it again with `eventpulse local start`: objects not yet handled are processed then. If this happens again, please report it.',
          cause: reason,
        },
      ),
    )
  process.on('unhandledRejection', unhandled)
  process.on('uncaughtException', unhandled)
  return {
    failure,
    dispose() {
      process.off('unhandledRejection', unhandled)
      process.off('uncaughtException', unhandled)
    },
  }
}

/** Resolves with the name of the signal that asks the pipeline to stop (Ctrl-C, SIGTERM), or rejects with the first failure. */
export function untilStopped(failures: Promise<CliError>[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const listeners = STOP_SIGNALS.map((signal) => [signal, () => settle(() => resolve(signal))] as const)
    const settle = (done: () => void) => {
      for (const [signal, listener] of listeners) process.off(signal, listener)
      done()
    }
    for (const [signal, listener] of listeners) process.once(signal, listener)
    void Promise.race(failures).then((error) => settle(() => reject(error)))
  })
}
