import {CliError, usageError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {expandInputs, type InputFile, readInput} from '#files/input-files.js'
import {checkRecord, type RecordCheck} from '#record/check-record.js'
import {type FileReport, reportFor} from '#validate/validate-files.js'
import {keyProblem, objectKeyFor} from '#files/object-keys.js'

/** One file to upload and the key it goes under. */
export interface PlannedFile {
  file: InputFile
  key: string
}

/**
 * Expands the paths and gives each file its key; refuses, before anything is read or sent, keys that clash
 * or that could escape the prefix.
 */
export async function planUpload(
  paths: string[],
  options: {prefix?: string; stdinKey?: string},
): Promise<PlannedFile[]> {
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
    planned.push({file, key})
  }
  if (problems.length > 0)
    throw new CliError(
      `Nothing was uploaded: ${problems.length === 1 ? 'a key is' : 'some keys are'} refused.` +
        `\n  ${problems.join('\n  ')}`,
      {
        exitCode: ExitCode.Usage,
        code: 'KeysRefused',
        hint:
          'Upload the files from different directories or with --prefix, ' +
          'and rename files whose names hold control characters.',
      },
    )
  return planned
}

/**
 * A file's bytes, the record check's verdict on them (which also gives the record to look for in the table), and,
 * when validating, the report that refuses an invalid file.
 */
export interface PreparedFile {
  body: Buffer
  check: RecordCheck
  report?: FileReport
}

/**
 * Reads a file (synchronously: much faster than the thread pool for small files) and checks it as the pipeline will.
 */
export async function prepareFile(planned: PlannedFile, validate: boolean): Promise<PreparedFile> {
  const {file} = planned
  const body = await readInput(file)
  const check = checkRecord(body)
  return validate ? {body, check, report: reportFor(file, check)} : {body, check}
}

/** --stdin-key is required with `-`: standard input has no name to take a key from. */
export function requireStdinKey(paths: string[], stdinKey: string | undefined): void {
  if (paths.includes('-') && !stdinKey)
    throw usageError('Uploading standard input needs a key.', 'Pass --stdin-key NAME (e.g. --stdin-key record.json).')
}
