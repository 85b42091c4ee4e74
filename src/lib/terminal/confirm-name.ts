import input from '@inquirer/input'

import {answerTo, refuseWithoutTerminal} from './confirm.js'

/**
 * Asks the user to type a name (the stack's) before something irreversible; --yes skips it. With no terminal and no
 * --yes, refuses (exit 2). Returns whether what they typed matches.
 */
export async function confirmByTypingName(name: string, options: {yes: boolean; action: string}): Promise<boolean> {
  if (options.yes) return true
  refuseWithoutTerminal(options.action)
  const typed = await answerTo(
    input({message: `Type the stack name (${name}) to ${options.action}:`}, {output: process.stderr}),
    'Run the command again to answer, or pass --yes to confirm in advance.',
  )
  return typed.trim() === name
}
