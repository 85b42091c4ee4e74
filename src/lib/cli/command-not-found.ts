import confirm from '@inquirer/confirm'
import {Errors, type Hook, type Interfaces} from '@oclif/core'

import {CliError, toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {answerTo, canPrompt} from '#terminal/confirm.js'
import {failureDocument, failureText} from './json-output.js'
import {closestMatch} from './suggest.js'

/** What was probably meant: a command (with the words after it, its arguments) or a topic. */
interface Suggestion {
  id: string
  isCommand: boolean
  rest: string[]
}

/**
 * Matches the typed words one by one against the command tree (`quarantine lst` → `quarantine list`), so that
 * arguments after a misspelt command (`valdate examples`) stay arguments. Also says how many words were exact.
 */
function suggest(parts: string[], config: Interfaces.Config): {suggestion?: Suggestion; exactWords: number} {
  const ids = config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const chosen: string[] = []
  let exactWords = 0
  for (const [index, part] of parts.entries()) {
    const prefix = chosen.map((word) => `${word}:`).join('')
    const next = new Set(ids.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length).split(':')[0]))
    const found = closestMatch(part, next)
    if (!found) return {exactWords}
    if (found.distance === 0 && exactWords === index) exactWords++
    chosen.push(found.match)
    const id = chosen.join(':')
    if (ids.includes(id)) return {suggestion: {id, isCommand: true, rest: parts.slice(index + 1)}, exactWords}
  }
  return {suggestion: {id: chosen.join(':'), isCommand: false, rest: []}, exactWords}
}

async function isDestructive(config: Interfaces.Config, id: string): Promise<boolean> {
  const command = await config.findCommand(id)?.load()
  return (command as {destructive?: boolean} | undefined)?.destructive === true
}

/**
 * oclif's command_not_found hook, our own rather than @oclif/plugin-not-found's (which asks "Did you mean …?" whenever
 * stdin is a terminal and runs any command): a typo is a usage failure (exit 2, code CommandNotFound) with the likely
 * command in the hint, printed as the one JSON document under --json. Only on a terminal, without --json, and for a
 * command that deletes or deploys nothing, does it ask whether to run the suggestion, and only a "yes" runs it.
 */
const commandNotFound: Hook.CommandNotFound = async function ({argv = [], config, id}) {
  const parts = id.split(':')
  const {suggestion, exactWords} = suggest(parts, config)
  const typed = parts.slice(0, exactWords + 1).join(' ')
  const shown = suggestion && [config.bin, ...suggestion.id.split(':'), ...suggestion.rest, ...argv].join(' ')
  const hint = !suggestion
    ? `\`${config.bin} help\` lists every command.`
    : suggestion.isCommand
      ? `Did you mean \`${shown}\`? \`${config.bin} help\` lists every command.`
      : `Did you mean \`${shown}\`? \`${shown} --help\` lists its commands.`
  const failure = toFailure(
    new CliError(`"${typed}" is not an ${config.bin} command.`, {
      exitCode: ExitCode.Usage,
      code: 'CommandNotFound',
      hint,
    }),
  )
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(failureDocument(failure), null, 2)}\n`)
    throw new Errors.ExitError(failure.exitCode)
  }
  const runnable =
    suggestion?.isCommand && canPrompt() && !(await isDestructive(config, suggestion.id)) ? suggestion : undefined
  // When asking, the question takes the hint's place.
  process.stderr.write(`${failureText(runnable ? {...failure, hint: undefined} : failure)}\n`)
  if (!runnable) throw new Errors.ExitError(failure.exitCode)
  if (await answerTo(confirm({message: `Run \`${shown}\`?`, default: false}, {output: process.stderr}), hint))
    return config.runCommand(runnable.id, [...runnable.rest, ...argv])
  // A no at a prompt is a negative answer, in every command alike.
  process.stderr.write('Not run.\n')
  throw new Errors.ExitError(ExitCode.Negative)
}

export default commandNotFound
