import type {Failure} from '#core/errors.js'

/**
 * The one JSON document a command prints with --json: `{status, result}` when it ran, `{status, error}` when it failed;
 * with `warnings` (lines about the run as a whole, e.g. schema drift) when there are any.
 */
export const successDocument = (status: number, result: unknown, warnings: string[] = []) => ({
  status,
  result,
  ...withWarnings(warnings),
})

export const failureDocument = (failure: Failure, warnings: string[] = []) => ({
  status: failure.exitCode,
  error: {code: failure.code, message: failure.message, hint: failure.hint},
  ...withWarnings(warnings),
})

const withWarnings = (warnings: string[]) => (warnings.length > 0 ? {warnings} : {})

/** The human form of a warning, for stderr. */
export const warningText = (warning: string): string => `Warning: ${warning}`

/** The human form of a failure, for stderr. */
export const failureText = (failure: Failure): string =>
  `Error: ${failure.message}${failure.hint ? `\n${failure.hint}` : ''}`
