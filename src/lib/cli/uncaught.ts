import {Errors, flush} from '@oclif/core'

import {CliError, toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {failureDocument, failureText} from './json-output.js'
import {usageFailure} from './usage-errors.js'

/**
 * The last word on an error that no EventPulse command reported: those of oclif's own commands (`help`,
 * `autocomplete`) and of oclif itself. Printed in the same shapes as our commands' failures (text on stderr, or the
 * one JSON document with --json), with the same exit codes; a failure our command or hook already reported
 * (oclif's ExitError) only sets the exit code. Exits, as oclif's own handler does, so that nothing left open holds
 * the process.
 */
export async function exitOnUncaught(error: unknown, argv: string[]): Promise<never> {
  if (error instanceof Errors.ExitError) process.exit(error.oclif.exit)
  const command = argv[0] && !argv[0].startsWith('-') ? ` ${argv[0]}` : ''
  const failure = toFailure(
    helpNotFound(error) ?? usageFailure(error, {name: `eventpulse${command}`, flags: []}) ?? error,
  )
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(failureDocument(failure), null, 2)}\n`)
  else process.stderr.write(`${failureText(failure)}\n`)
  await flush()
  process.exit(failure.exitCode)
}

/** `eventpulse help valdate`: the help plugin's "Command valdate not found.", said as a mistyped command is. */
function helpNotFound(error: unknown): CliError | undefined {
  const named = /^Command (.+) not found\.$/.exec((error as Error)?.message ?? '')
  if (!named) return undefined
  return new CliError(`"${named[1]}" is not an eventpulse command.`, {
    exitCode: ExitCode.Usage,
    code: 'CommandNotFound',
    hint: '`eventpulse help` lists every command.',
    cause: error,
  })
}
