import {readFileSync} from 'node:fs'

import {CliError, usageError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {expandInputs, type InputFile, readInput} from '../input-files.js'
import {checkRecord} from '../record/check-record.js'
import {type FileReport, reportFor} from '../validate-files.js'
import {keyProblem, objectKeyFor} from './keys.js'

/** One file ready to go: where it came from, its key, its bytes, and the record check's verdict (unless --no-validate). */
export interface PlannedFile {
  file: InputFile
  key: string
  body: Buffer
  report?: FileReport
}

export interface UploadPlan {
  /** Files that will be sent. */
  send: PlannedFile[]
  /** Files the record check refused: reported, not sent. */
  invalid: PlannedFile[]
}

async function readBody(file: InputFile): Promise<Buffer> {
  // Synchronous reads are much faster than the thread pool for many small files.
  return file.absolutePath === undefined ? readInput(file) : readFileSync(file.absolutePath)
}

/**
 * Expands the paths, gives each file its key, refuses unsafe or clashing keys before anything is sent,
 * and (unless told not to) checks every record exactly as the pipeline will.
 */
export async function planUpload(paths: string[], options: {prefix?: string; validate: boolean; stdinKey?: string}): Promise<UploadPlan> {
  const files = await expandInputs(paths, {stdinName: options.stdinKey})
  const planned: PlannedFile[] = []
  const byKey = new Map<string, InputFile>()
  const problems: string[] = []
  for (const file of files) {
    const key = objectKeyFor(file.relativePath, options.prefix)
    const problem = keyProblem(key)
    if (problem) problems.push(`${file.displayPath}: ${problem} (${JSON.stringify(key)})`)
    const clash = byKey.get(key)
    if (clash) problems.push(`${file.displayPath} and ${clash.displayPath} would both be uploaded as ${key}`)
    byKey.set(key, file)
    planned.push({file, key, body: Buffer.alloc(0)})
  }
  if (problems.length > 0)
    throw new CliError(`Nothing was uploaded: ${problems.length === 1 ? 'a key is' : 'some keys are'} refused.\n  ${problems.join('\n  ')}`, {
      exitCode: ExitCode.Usage,
      code: 'KeysRefused',
      hint: 'Upload the files from different directories or with --prefix, and rename files whose names hold control characters.',
    })
  for (const entry of planned) {
    entry.body = await readBody(entry.file)
    if (options.validate) entry.report = reportFor(entry.file, checkRecord(entry.body))
  }
  return {send: planned.filter((p) => p.report?.valid !== false), invalid: planned.filter((p) => p.report?.valid === false)}
}

/** --stdin-key is required with `-`: standard input has no name to take a key from. */
export function requireStdinKey(paths: string[], stdinKey: string | undefined): void {
  if (paths.includes('-') && !stdinKey) throw usageError('Uploading standard input needs a key.', 'Pass --stdin-key NAME (e.g. --stdin-key record.json).')
}
