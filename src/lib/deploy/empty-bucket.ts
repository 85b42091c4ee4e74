import {DeleteObjectsCommand, ListObjectVersionsCommand, type _Error, type S3Client} from '@aws-sdk/client-s3'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** ListObjectVersions answers at most MaxKeys versions and delete markers together: one DeleteObjects per page. */
const PAGE_SIZE = 1000

/**
 * Deletes every object version and delete marker in a bucket, so that CloudFormation can delete the bucket.
 * Returns how many were deleted. A bucket already gone counts as empty.
 */
export async function emptyBucketVersions(
  s3: S3Client,
  bucket: string,
  onProgress?: (deleted: number) => void,
): Promise<number> {
  let deleted = 0
  let keyMarker: string | undefined
  let versionIdMarker: string | undefined
  for (;;) {
    let page
    try {
      page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
          MaxKeys: PAGE_SIZE,
        }),
      )
    } catch (error) {
      if ((error as {name?: string}).name === 'NoSuchBucket') return deleted
      throw error
    }
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((v) =>
      v.Key ? [{Key: v.Key, VersionId: v.VersionId}] : [],
    )
    // S3 refuses a DeleteObjects with no keys; Quiet: the answer lists only the failures.
    if (objects.length > 0) {
      const result = await s3.send(new DeleteObjectsCommand({Bucket: bucket, Delete: {Objects: objects, Quiet: true}}))
      if (result.Errors?.length) throw deleteFailure(bucket, result.Errors)
      deleted += objects.length
      onProgress?.(deleted)
    }
    if (!page.IsTruncated) return deleted
    keyMarker = page.NextKeyMarker
    versionIdMarker = page.NextVersionIdMarker
  }
}

function deleteFailure(bucket: string, errors: _Error[]): CliError {
  const [first] = errors
  const reason = [first.Code, first.Message].filter(Boolean).join(' ')
  return new CliError(
    `Could not delete ${errors.length} object versions from ${bucket}, e.g. ${first.Key}: ${reason}`,
    {
      exitCode: first.Code === 'AccessDenied' ? ExitCode.Credentials : ExitCode.Aws,
      code: first.Code ?? 'DeleteObjectsFailed',
    },
  )
}
