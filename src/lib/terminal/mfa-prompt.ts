import {answerTo, canPrompt} from './confirm.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** Asks for the current MFA code on the terminal (stderr, so stdout stays clean for --json). */
export async function promptMfaCode(serial: string): Promise<string> {
  if (!canPrompt())
    throw new CliError(`An MFA code for ${serial} is needed, and there is no terminal to ask on.`, {
      exitCode: ExitCode.Usage,
      code: 'MfaCodeRequired',
      hint: 'Run the command in a terminal, or use credentials that need no MFA code (e.g. an SSO profile).',
    })
  const {default: input} = await import('@inquirer/input')
  const code = await answerTo(
    input(
      {
        message: `MFA code for ${serial}:`,
        validate: (value) => /^\d{6}$/.test(value.trim()) || 'Enter the 6-digit code from your MFA device.',
      },
      {output: process.stderr},
    ),
    'Run the command again with a current code from your MFA device.',
  )
  return code.trim()
}
