import {randomUUID} from 'node:crypto'
import {gzipSync} from 'node:zlib'

import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'

import {isConditionalWriteConflict} from '#aws/explain-error.js'
import {isGzipName} from '#contract/batch-names.js'
import {QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {unquoteEtag} from '#core/aws-responses.js'
import {listObjectVersions} from '#aws/list-objects.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {shellCommand} from '#core/shell-words.js'
import {packedLine} from '#record/packed-line.js'
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
 * comes first, so the entry is gone even where the bucket keeps no versions (the local S3 lists none). A purge cut
 * short leaves the entry deleted with older versions: `resolveEntryArguments` with `deleted` finds it to finish.
 */
export async function purgeEntry(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<void> {
  await deleteEntry(s3, bucket, entry)
  for await (const page of listObjectVersions(s3, bucket, entry.key)) {
    // The prefix also matches longer keys; only this entry's versions go.
    const versions = page
      .filter((version) => version.key === entry.key)
      .map((version) => ({Key: version.key, VersionId: version.versionId}))
    if (versions.length === 0) continue
    // Not quiet: the versions S3 reports deleted tell which are left, as an error need not name its version.
    const result = await s3.send(new DeleteObjectsCommand({Bucket: bucket, Delete: {Objects: versions}}))
    if (result.Errors?.length) {
      const deleted = new Set(result.Deleted?.map((version) => version.VersionId))
      const left = versions.filter((version) => !deleted.has(version.VersionId)).map((version) => version.VersionId)
      const codes = [...new Set(result.Errors.map((error) => error.Code ?? 'unknown error'))].join(', ')
      throw new Error(
        `could not delete ${left.length === 1 ? 'version' : 'versions'} ${left.join(', ')} of ${entry.key}: ${codes}`,
      )
    }
  }
}

/**
 * What a release puts back: the entry's content; a packed record still naming its file (its line as packed), so that
 * its entry names it again should it be quarantined again.
 */
async function releasedContent(s3: S3Client, bucket: string, entry: QuarantineEntry): Promise<Uint8Array> {
  const content = await readEntryContent(s3, bucket, entry)
  return entry.file === undefined || entry.line === undefined ? content : packedLine(entry.file, content)
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
 * the target (`--local`...), for the command its hint prints. `mended` is put back in place of the entry's content
 * (`quarantine fix`, the review's edit): the entry is removed the same way, only once it is in.
 */
export async function releaseEntry(
  s3: S3Client,
  buckets: {quarantine: string; processing: string},
  entry: QuarantineEntry,
  target: string[] = [],
  mended?: Uint8Array,
): Promise<{key: string; etag?: string}> {
  const record = mended ?? (await releasedContent(s3, buckets.quarantine, entry))
  // A batch's record goes back as a batch of one, which the processor reads as gzip under a `.gz` name.
  const body = entry.line !== undefined && isGzipName(entry.sourceKey) ? gzipSync(record) : record
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
        exitCode: ExitCode.Negative,
        code: 'InFlight',
        cause: error,
        hint: `Wait until it is processed (${shellCommand(['eventpulse', 'status', entry.sourceKey, ...target])}), then release again.`,
      })
    throw error
  }
  await deleteEntry(s3, buckets.quarantine, entry)
  return {key: entry.sourceKey, etag: released.ETag && unquoteEtag(released.ETag)}
}
