import {ListObjectsCommand, type S3Client} from '@aws-sdk/client-s3'

import {unquoteEtag} from '#core/aws-responses.js'

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
