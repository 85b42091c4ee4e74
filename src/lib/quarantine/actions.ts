import {randomUUID} from 'node:crypto'

import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

import {isConditionalWriteConflict} from '#aws/explain-error.js'
import {QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {isUnsupportedRequest, unquoteEtag} from '#core/aws-responses.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {shellCommand} from '#core/shell-words.js'
import type {QuarantineEntry} from './entries.js'

export async function readEntryContent(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({Bucket: bucket, Key: entry.key}))
  return Buffer.from(await response.Body!.transformToByteArray())
}

/** Deletes the entry: on the versioned quarantine bucket it stays recoverable as a noncurrent version for a while. */
export async function deleteEntry(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<void> {
  await s3.send(new DeleteObjectCommand({Bucket: bucket, Key: entry.key}))
}

/**
 * Deletes every version of the entry, and the delete markers: nothing of it stays recoverable. The plain delete
 * comes first, so the entry is gone even where the bucket keeps no versions (the local S3 lists none).
 */
export async function purgeEntry(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<void> {
  await deleteEntry(s3, bucket, entry)
  let keyMarker: string | undefined
  let versionIdMarker: string | undefined
  do {
    const page = await s3
      .send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: entry.key,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      )
      .catch((error: unknown) => {
        // An S3 without versions (the local one) keeps nothing beyond the object just deleted.
        if (isUnsupportedRequest(error)) return undefined
        throw error
      })
    if (!page) return
    // The prefix also matches longer keys; only this entry's versions go.
    const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((version) =>
      version.Key === entry.key && version.VersionId ? [{Key: version.Key, VersionId: version.VersionId}] : [],
    )
    if (versions.length > 0) {
      const result = await s3.send(new DeleteObjectsCommand({Bucket: bucket, Delete: {Objects: versions, Quiet: true}}))
      const [failed] = result.Errors ?? []
      if (failed) throw new Error(`could not delete version ${failed.VersionId} of ${entry.key}: ${failed.Code}`)
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined
  } while (keyMarker)
}

/**
 * Puts the quarantined object back into the processing bucket under its source key, to be processed again,
 * then removes the entry. A copy is read and written rather than CopyObject: the copy source header is
 * decoded differently by S3-compatible servers (s3rver breaks on `#` and `+`), and the object is at most 1 MiB.
 * `If-None-Match: *` keeps a newer upload of the same key that is still waiting from being replaced.
 * The object is the same upload as before (same key, same bytes, so the same ETag and entry id); its release id
 * makes the processor wait until the entry is removed here before quarantining it again, so that entry is never
 * taken for the new one and then deleted.
 * Returns the upload it makes (source key and ETag), to follow to its outcome. `target` holds the flags that picked
 * the target (`--local`...), for the command its hint prints.
 */
export async function releaseEntry(
  s3: S3Client,
  buckets: {quarantine: string; processing: string},
  entry: QuarantineEntry,
  target: string[] = [],
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
        Metadata: {[QUARANTINE_METADATA.releaseId]: randomUUID()},
      }),
    )
  } catch (error) {
    if (isConditionalWriteConflict(error))
      throw new CliError(`Not released ${entry.key}: an upload of ${entry.sourceKey} is still being processed.`, {
        exitCode: ExitCode.Aws,
        code: 'InFlight',
        cause: error,
        hint: `Wait until it is processed (${shellCommand(['eventpulse', 'status', entry.sourceKey, ...target])}), then release again.`,
      })
    throw error
  }
  await deleteEntry(s3, buckets.quarantine, entry)
  return {key: entry.sourceKey, etag: released.ETag && unquoteEtag(released.ETag)}
}
