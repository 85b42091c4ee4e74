import type {Failure} from '#core/errors.js'

/**
 * The one JSON document a command prints with --json: `{status, result}` when it ran, `{status, error}` when it failed.
 */
export const successDocument = (status: number, result: unknown) => ({status, result})

export const failureDocument = (failure: Failure) => ({
  status: failure.exitCode,
  error: {code: failure.code, message: failure.message, hint: failure.hint},
})

/** The human form of a failure, for stderr. */
export const failureText = (failure: Failure): string =>
  `Error: ${failure.message}${failure.hint ? `\n${failure.hint}` : ''}`
