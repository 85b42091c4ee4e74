import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {PACKAGE_ROOT} from '#core/package-root.js'
import {failureDocument, failureText, successDocument} from './json-output.js'

/**
 * The runs bin/run.js serves without loading oclif, whose start-up would be most of their time: `--version`, and
 * plain `validate` runs (paths, `-`, `--json`), which editor hooks and CI loops call over and over. They print exactly
 * what the oclif command prints. Returns the exit code, or undefined for anything else (help, other flags, typos).
 */
export async function runWithoutOclif(args: string[]): Promise<number | undefined> {
  if (args.length === 1 && args[0] === '--version') return printVersion()
  if (args[0] === 'validate' && args.slice(1).every((arg) => arg === '-' || arg === '--json' || !arg.startsWith('-')))
    return runPlainValidate(args.slice(1))
  return undefined
}

/** oclif's own version line: name/version platform-arch node-version. */
function printVersion(): number {
  const {name, version} = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
  return ExitCode.Success
}

async function runPlainValidate(args: string[]): Promise<number> {
  const {validatePaths, validationLines} = await import('#validate/validate-files.js')
  const json = args.includes('--json')
  const print = (document: unknown) => process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  try {
    const result = await validatePaths(args.filter((arg) => arg !== '--json'))
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
