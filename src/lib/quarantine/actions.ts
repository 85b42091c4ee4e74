import {DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {isConditionalWriteConflict} from '#aws/explain-error.js'
import {unquoteEtag} from '#core/aws-responses.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {QuarantineEntry} from './entries.js'

export async function readEntryContent(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({Bucket: bucket, Key: entry.key}))
  return Buffer.from(await response.Body!.transformToByteArray())
}

export async function deleteEntry(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<void> {
  await s3.send(new DeleteObjectCommand({Bucket: bucket, Key: entry.key}))
}

/**
 * Puts the quarantined object back into the processing bucket under its source key, to be processed again,
 * then removes the entry. A copy is read and written rather than CopyObject: the copy source header is
 * decoded differently by S3-compatible servers (s3rver breaks on `#` and `+`), and the object is at most 1 MiB.
 * `If-None-Match: *` keeps a newer upload of the same key that is still waiting from being replaced.
 * Returns the upload it makes (source key and ETag), to follow to its outcome.
 */
export async function releaseEntry(
  s3: S3Client,
  buckets: {quarantine: string; processing: string},
  entry: QuarantineEntry,
): Promise<{key: string; etag?: string}> {
  const body = await readEntryContent(s3, buckets.quarantine, entry)
  let released
  try {
    released = await s3.send(
      new PutObjectCommand({
        Bucket: buckets.processing,
        Key: entry.sourceKey,
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    )
  } catch (error) {
    if (isConditionalWriteConflict(error))
      throw new CliError(`Not released ${entry.key}: an upload of ${entry.sourceKey} is still being processed.`, {
        exitCode: ExitCode.Aws,
        code: 'InFlight',
        cause: error,
        hint: 'Wait until it is processed (eventpulse status KEY), then release again.',
      })
    throw error
  }
  await deleteEntry(s3, buckets.quarantine, entry)
  return {key: entry.sourceKey, etag: released.ETag && unquoteEtag(released.ETag)}
}
