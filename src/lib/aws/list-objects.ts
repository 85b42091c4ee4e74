import {ListObjectsCommand, ListObjectVersionsCommand, type S3Client} from '@aws-sdk/client-s3'

import {isUnsupportedRequest, unquoteEtag} from '#core/aws-responses.js'

export interface ListedObject {
  key: string
  size: number
  lastModified?: Date
  etag?: string
}

/**
 * Every object under a prefix, page by page (1,000 keys each), up to `limit`.
 * ListObjects (v1) with Marker rather than ListObjectsV2: AWS serves both alike, while s3rver under OpenSSL 3
 * crashes building V2 continuation tokens, so this one code path works on AWS, the local pipeline and emulators.
 */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  options: {prefix?: string; limit?: number} = {},
): AsyncGenerator<ListedObject> {
  let marker: string | undefined
  let count = 0
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  while (count < limit) {
    const page = await s3.send(
      new ListObjectsCommand({Bucket: bucket, Prefix: options.prefix || undefined, Marker: marker, MaxKeys: 1000}),
    )
    const contents = page.Contents ?? []
    for (const object of contents) {
      if (!object.Key) continue
      yield {
        key: object.Key,
        size: object.Size ?? 0,
        lastModified: object.LastModified,
        etag: object.ETag && unquoteEtag(object.ETag),
      }
      if (++count >= limit) return
    }
    if (!page.IsTruncated || contents.length === 0) return
    marker = page.NextMarker ?? contents.at(-1)?.Key
  }
}

/**
 * The object under exactly this key, found by listing (s3:ListBucket) rather than HEAD (s3:GetObject): a key sorts
 * before every longer key it prefixes, so the first listed object is it, if it exists.
 */
export async function findObject(s3: S3Client, bucket: string, key: string): Promise<ListedObject | undefined> {
  for await (const object of listObjects(s3, bucket, {prefix: key, limit: 1}))
    return object.key === key ? object : undefined
  return undefined
}

/** One version of an object, or a delete marker, in a versioned bucket. */
export interface ListedVersion {
  key: string
  versionId: string
  /** The object's current version (or marker). */
  isLatest: boolean
  deleteMarker: boolean
}

/**
 * Every version and delete marker under a prefix, a page (up to 1,000) at a time, each key's newest first. Nothing
 * where the S3 keeps no versions: the local one answers ListObjectVersions as unsupported.
 */
export async function* listObjectVersions(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<ListedVersion[]> {
  let keyMarker: string | undefined
  let versionIdMarker: string | undefined
  do {
    const page = await s3
      .send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      )
      .catch((error: unknown) => {
        if (isUnsupportedRequest(error)) return undefined
        throw error
      })
    if (!page) return
    const listed = (deleteMarker: boolean) => (version: {Key?: string; VersionId?: string; IsLatest?: boolean}) =>
      version.Key && version.VersionId
        ? [{key: version.Key, versionId: version.VersionId, isLatest: version.IsLatest ?? false, deleteMarker}]
        : []
    yield [...(page.Versions ?? []).flatMap(listed(false)), ...(page.DeleteMarkers ?? []).flatMap(listed(true))]
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined
  } while (keyMarker)
}
