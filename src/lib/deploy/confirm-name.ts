import input from '@inquirer/input'

import {canPrompt} from '../confirm.js'
import {CliError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'

/**
 * Asks the user to type a name (the stack's) before something irreversible; --yes skips it. With no terminal and no
 * --yes, refuses (exit 2). Returns whether what they typed matches.
 */
export async function confirmByTypingName(name: string, options: {yes: boolean; action: string}): Promise<boolean> {
  if (options.yes) return true
  if (!canPrompt())
    throw new CliError(`Refusing to ${options.action} without confirmation: no terminal to ask on.`, {
      exitCode: ExitCode.Usage,
      code: 'ConfirmationRequired',
      hint: 'Run it in a terminal, or pass --yes to confirm in advance.',
    })
  const typed = await input({message: `Type the stack name (${name}) to ${options.action}:`}, {output: process.stderr})
  return typed.trim() === name
}
