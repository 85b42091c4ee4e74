import {stripVTControlCharacters} from 'node:util'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {closestMatch} from './suggest.js'

/** What the failing command is called and which flags it takes, for the hint. */
export interface CommandUsage {
  /** As typed: `eventpulse quarantine list`. */
  name: string
  flags: string[]
  /** Why the command takes no --json, when it takes none. */
  noJsonReason?: string
}

/** oclif's parse errors, by class name (oclif does not export the classes): our code for each. */
const CODES: Record<string, string> = {
  NonExistentFlagsError: 'UnknownFlag',
  FlagInvalidOptionError: 'InvalidFlagValue',
  FailedFlagValidationError: 'InvalidFlagCombination',
  ViolatedFlagConstraintError: 'InvalidFlagCombination',
  RequiredArgsError: 'MissingArgument',
  UnexpectedArgsError: 'UnexpectedArgument',
  ArgInvalidOptionError: 'InvalidArgument',
}

// oclif words its messages for its own error printer: a help pointer appended, reasons indented, colours.
const tidy = (message: string) =>
  stripVTControlCharacters(message)
    .replace(/\nSee more help with --help$/, '')
    .replaceAll(/\s*\n\s*/g, ' ')
    .trim()

/**
 * An oclif usage error (unknown flag, bad flag value, flags that conflict, missing or extra arguments) as an
 * EventPulse failure: exit 2, a specific code, a one-line message and a hint naming the command's help, with the
 * flag that was probably meant for an unknown one. Undefined for anything else.
 */
export function usageFailure(error: unknown, usage: CommandUsage): CliError | undefined {
  const err = error as Error & {
    oclif?: {exit?: number}
    flags?: string[]
    args?: {name: string; description?: string}[]
  }
  if (err?.oclif?.exit === undefined || err.oclif.exit === 0) return undefined
  const help = `See \`${usage.name} --help\`.`
  const failure = (code: string, message: string, hint = help) =>
    new CliError(message, {exitCode: ExitCode.Usage, code, hint, cause: error})

  const className = err.constructor?.name ?? ''
  if (className === 'NonExistentFlagsError') {
    const unknown = err.flags ?? []
    if (usage.noJsonReason && unknown.includes('--json'))
      return failure('UnknownFlag', `${usage.name} takes no --json: ${usage.noJsonReason}.`)
    const meant = unknown
      .map((flag) => closestMatch(flag.replace(/^-+/, '').replace(/=.*$/, ''), usage.flags)?.match)
      .filter((flag) => flag !== undefined)
    return failure(
      'UnknownFlag',
      `Unknown flag${unknown.length === 1 ? '' : 's'} for ${usage.name}: ${unknown.join(', ')}`,
      meant.length > 0 ? `Did you mean ${meant.map((flag) => `--${flag}`).join(', ')}? ${help}` : help,
    )
  }
  if (className === 'RequiredArgsError') {
    const missing = (err.args ?? []).map(
      (arg) => `${arg.name.toUpperCase()}${arg.description ? `: ${arg.description}` : ''}`,
    )
    return failure('MissingArgument', `Missing ${missing.join('; ')}`)
  }
  // A flag's own parser refused the value (`--concurrency abc`), or a value is missing (`--stack` at the end).
  const parsing = /^Parsing --([\w-]+)\s*\n\t(.*)/s.exec(err.message)
  if (parsing) return failure('InvalidFlagValue', `Invalid value for --${parsing[1]}: ${tidy(parsing[2])}`)
  if (/^Flag --[\w-]+ (expects|can only)/.test(err.message)) return failure('InvalidFlagValue', tidy(err.message))
  return failure(CODES[className] ?? 'UsageError', tidy(err.message).replace(/^The following errors? occurred: /, ''))
}
