import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {PACKAGE_ROOT} from '#core/package-root.js'
import {DEFAULT_STACK_NAME} from '#contract/pipeline-contract.js'
import {failureDocument, failureText, successDocument, warningText} from './json-output.js'

/** `--version` (oclif's own), `-v` (package.json's additionalVersionFlags) and the `version` command say the same. */
const VERSION_ARGS = new Set(['--version', '-v', 'version'])

/** The flags of a plain `validate` run; `--quiet` changes nothing in what `validate` prints (problems and summary). */
const PLAIN_VALIDATE_FLAGS = new Set(['-', '--json', '--quiet', '-q'])

/**
 * The runs bin/run.js serves without loading oclif, whose start-up would be most of their time: the version, and
 * plain `validate` runs (paths, `-`, `--json`), which editor hooks and CI loops call over and over. They print exactly
 * what the oclif command prints. Returns the exit code, or undefined for anything else (help, other flags, typos).
 */
export async function runWithoutOclif(args: string[]): Promise<number | undefined> {
  if (args.length === 1 && VERSION_ARGS.has(args[0])) {
    process.stdout.write(`${versionLine()}\n`)
    return ExitCode.Success
  }
  if (args[0] === 'validate' && args.slice(1).every((arg) => PLAIN_VALIDATE_FLAGS.has(arg) || !arg.startsWith('-')))
    return runPlainValidate(args.slice(1))
  return undefined
}

/** oclif's own version line (its config.userAgent): name/version platform-arch node-version. */
function versionLine(): string {
  const {name, version} = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'))
  return `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`
}

async function runPlainValidate(args: string[]): Promise<number> {
  const {validatePaths, validationLines, validationStatus} = await import('#validate/validate-files.js')
  const {validateWarnings} = await import('./schema-drift.js')
  const json = args.includes('--json')
  const print = (document: unknown) => process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
  const warnings = await validateWarnings({stack: DEFAULT_STACK_NAME})
  if (!json) for (const warning of warnings) process.stderr.write(`${warningText(warning)}\n`)
  try {
    const result = await validatePaths(args.filter((arg) => !PLAIN_VALIDATE_FLAGS.has(arg) || arg === '-'))
    const status = validationStatus(result)
    if (json) print(successDocument(status, result, warnings))
    else process.stdout.write(`${validationLines(result).join('\n')}\n`)
    return status
  } catch (error) {
    const failure = toFailure(error)
    if (json) print(failureDocument(failure, warnings))
    else process.stderr.write(`${failureText(failure)}\n`)
    return failure.exitCode
  }
}
