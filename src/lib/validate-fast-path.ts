import {toFailure} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {failureDocument, failureText, successDocument} from './json-output.js'
import {validatePaths, validationLines} from './validate-files.js'

/**
 * Whether `eventpulse <args>` is a plain `validate` run (paths, `-`, `--json`), which bin/run.js serves without
 * loading oclif: validate runs in editor hooks and CI loops, where oclif's start-up would be most of the time.
 * Anything else (help, other flags, typos) goes through oclif as usual.
 */
export function isPlainValidate(args: string[]): boolean {
  return args[0] === 'validate' && args.slice(1).every((arg) => arg === '-' || arg === '--json' || !arg.startsWith('-'))
}

/** Runs `validate` exactly as the oclif command does, printing the same lines or JSON; returns the exit code. */
export async function runPlainValidate(args: string[]): Promise<number> {
  const json = args.includes('--json')
  const paths = args.slice(1).filter((arg) => arg !== '--json')
  const print = (document: unknown) => process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  try {
    const result = await validatePaths(paths)
    const status = result.summary.invalid > 0 ? ExitCode.Negative : ExitCode.Success
    if (json) print(successDocument(status, result))
    else process.stdout.write(`${validationLines(result).join('\n')}\n`)
    return status
  } catch (error) {
    const failure = toFailure(error)
    if (json) print(failureDocument(failure))
    else process.stderr.write(`${failureText(failure)}\n`)
    return failure.exitCode
  }
}
