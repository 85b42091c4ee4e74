import {DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client} from '@aws-sdk/client-s3'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** DeleteObjects takes at most 1000 keys per request, as ListObjectVersions returns at most 1000 per page. */
const BATCH = 1000

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
          MaxKeys: BATCH,
        }),
      )
    } catch (error) {
      if ((error as {name?: string}).name === 'NoSuchBucket') return deleted
      throw error
    }
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((v) =>
      v.Key ? [{Key: v.Key, VersionId: v.VersionId}] : [],
    )
    for (let start = 0; start < objects.length; start += BATCH) {
      const batch = objects.slice(start, start + BATCH)
      const result = await s3.send(new DeleteObjectsCommand({Bucket: bucket, Delete: {Objects: batch, Quiet: true}}))
      if (result.Errors?.length) {
        const first = result.Errors[0]
        throw new CliError(
          (
            `Could not delete ${result.Errors.length} object versions from ${bucket}, ` +
            `e.g. ${first.Key}: ${first.Code} ${first.Message ?? ''}`
          ).trim(),
          {
            exitCode: first.Code === 'AccessDenied' ? ExitCode.Credentials : ExitCode.Aws,
            code: first.Code ?? 'DeleteObjectsFailed',
          },
        )
      }
      deleted += batch.length
      onProgress?.(deleted)
    }
    if (!page.IsTruncated) return deleted
    keyMarker = page.NextKeyMarker
    versionIdMarker = page.NextVersionIdMarker
  }
}
