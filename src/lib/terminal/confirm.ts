import confirm from '@inquirer/confirm'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** Whether a person can answer a prompt: both ends of the terminal are interactive. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/**
 * Asks before something destructive. `--yes` skips the question; with no terminal to ask on and no `--yes`,
 * the command refuses (exit 2) rather than guess. Returns false when the user declines.
 */
export async function confirmOrRefuse(question: string, options: {yes: boolean; action: string}): Promise<boolean> {
  if (options.yes) return true
  refuseWithoutTerminal(options.action)
  return confirm({message: question, default: false}, {output: process.stderr})
}

/** Throws the usage error (exit 2) for a confirmation that no terminal can give. */
export function refuseWithoutTerminal(action: string): void {
  if (!canPrompt())
    throw new CliError(`Refusing to ${action} without confirmation: no terminal to ask on.`, {
      exitCode: ExitCode.Usage,
      code: 'ConfirmationRequired',
      hint: 'Run it in a terminal, or pass --yes to confirm in advance.',
    })
}
