import type {S3Client} from '@aws-sdk/client-s3'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {checkRecord, type RecordCheck} from '#record/check-record.js'
import {formatProblems} from '#validate/validate-files.js'
import {releaseEntry} from './actions.js'
import type {QuarantineEntry} from './entries.js'

/**
 * The one record check, as the processor will make it of a mended record put back in place of the entry (a batch's
 * record as a batch's record is checked), its problems located in the mended text itself.
 */
export function checkMended(entry: QuarantineEntry, mended: Uint8Array): RecordCheck {
  return checkRecord(mended, {batchRecord: entry.line !== undefined})
}

/** `file:line:column  message [reason]` for each problem of a mended record that failed the check. */
export function mendedProblemLines(file: string, check: Extract<RecordCheck, {ok: false}>): string[] {
  return formatProblems({file, valid: false, reason: check.reason, errors: check.problems})
}

/**
 * What goes back under the source key. A batch's record goes back as a batch of one line, as `release` puts it back:
 * the processor reads a batch key line by line. In valid JSON a line break can only be whitespace between tokens
 * (inside a string it must be escaped), so a space in its place keeps the record.
 */
export function mendedUpload(entry: QuarantineEntry, mended: Uint8Array): Uint8Array {
  if (entry.line === undefined) return mended
  return Buffer.from(
    `${Buffer.from(mended)
      .toString('utf8')
      .replaceAll(/[\r\n]+/g, ' ')
      .trim()}\n`,
  )
}

/** A mended record that fails the record check is refused: exit 1, `InvalidRecord`, its problems located in `file`. */
export function refuseInvalidMended(entry: QuarantineEntry, mended: {file: string; bytes: Uint8Array}): void {
  const check = checkMended(entry, mended.bytes)
  if (!check.ok)
    throw new CliError(
      [
        `${mended.file} is not a valid record (${check.reason}); nothing was released and ${entry.key} is kept:`,
        ...mendedProblemLines(mended.file, check).map((line) => `  ${line}`),
      ].join('\n'),
      {exitCode: ExitCode.Negative, code: 'InvalidRecord', hint: `Mend ${mended.file} and run the command again.`},
    )
}

/**
 * Releases a mended record in place of the entry once it passes the record check (refuseInvalidMended; nothing
 * changes otherwise): the entry is removed only once the mended record is in the processing bucket. Returns the
 * upload made, to follow to its outcome.
 */
export async function releaseMended(
  s3: S3Client,
  buckets: {quarantine: string; processing: string},
  entry: QuarantineEntry,
  mended: {file: string; bytes: Uint8Array},
  target: string[] = [],
): Promise<{key: string; etag?: string}> {
  refuseInvalidMended(entry, mended)
  return releaseEntry(s3, buckets, entry, target, mendedUpload(entry, mended.bytes))
}
