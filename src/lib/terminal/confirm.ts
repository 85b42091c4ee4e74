import confirm from '@inquirer/confirm'

import {cancelledError, CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** Whether a person can answer a prompt: both ends of the terminal are interactive. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/**
 * The answer to a prompt. Ctrl-C at it (the prompt library's ExitPromptError) cancels the command: exit 130 with
 * `hint`, the same in every command, rather than an unforeseen error.
 */
export async function answerTo<T>(prompt: Promise<T>, hint: string): Promise<T> {
  try {
    return await prompt
  } catch (error) {
    if ((error as Error)?.name === 'ExitPromptError') throw cancelledError(hint)
    throw error
  }
}

/**
 * Asks before something destructive. `--yes` skips the question; with no terminal to ask on and no `--yes`,
 * the command refuses (exit 2) rather than guess. Returns false when the user declines.
 */
export async function confirmOrRefuse(question: string, options: {yes: boolean; action: string}): Promise<boolean> {
  if (options.yes) return true
  refuseWithoutTerminal(options.action)
  return answerTo(
    confirm({message: question, default: false}, {output: process.stderr}),
    'Run the command again to answer, or pass --yes to confirm in advance.',
  )
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
