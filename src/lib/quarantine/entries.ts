import {HeadObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {mapConcurrently} from '../aws/concurrency.js'
import {listObjects} from '../aws/list-objects.js'
import {decodeMetadataValue, parseQuarantineKey, QUARANTINE_METADATA} from '../pipeline-contract.js'

/** One quarantined upload, as `quarantine list` prints it. */
export interface QuarantineEntry {
  /** The quarantine object's key: `<source key>/<entry id>`. */
  key: string
  sourceKey: string
  entryId: string
  size: number
  quarantinedAt?: string
  reason?: string
  message?: string
  /** ETag of the upload that was quarantined, which `upload --wait` matches against its own. */
  sourceEtag?: string
}

/** Reads an entry's recorded reason, message and source upload from its metadata; undefined when it is gone. */
async function describeEntry(s3: S3Client, bucket: string, key: string): Promise<QuarantineEntry | undefined> {
  const parsed = parseQuarantineKey(key)
  if (!parsed) return undefined
  try {
    const head = await s3.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
    const metadata = head.Metadata ?? {}
    const read = (name: string) => (metadata[name] === undefined ? undefined : decodeMetadataValue(metadata[name]))
    return {
      key,
      ...parsed,
      size: head.ContentLength ?? 0,
      quarantinedAt: read(QUARANTINE_METADATA.quarantinedAt) ?? head.LastModified?.toISOString(),
      reason: read(QUARANTINE_METADATA.reason),
      message: read(QUARANTINE_METADATA.message),
      sourceEtag: read(QUARANTINE_METADATA.sourceEtag)?.replaceAll('"', ''),
    }
  } catch (error) {
    const {name, $metadata: metadata} = error as {name?: string; $metadata?: {httpStatusCode?: number}}
    if (name === 'NotFound' || name === 'NoSuchKey' || metadata?.httpStatusCode === 404) return undefined
    throw error
  }
}

/** Entries under a prefix, with their metadata, oldest key order as S3 lists them; `limit` caps how many. */
export async function listEntries(
  s3: S3Client,
  bucket: string,
  options: {prefix?: string; limit?: number; concurrency: number},
): Promise<QuarantineEntry[]> {
  const keys: string[] = []
  for await (const object of listObjects(s3, bucket, {prefix: options.prefix})) {
    // Objects not laid out by the pipeline (someone's stray upload) are not entries.
    if (!parseQuarantineKey(object.key)) continue
    keys.push(object.key)
    if (options.limit !== undefined && keys.length >= options.limit) break
  }
  const entries = await mapConcurrently(keys, options.concurrency, (key) => describeEntry(s3, bucket, key))
  return entries.filter((entry): entry is QuarantineEntry => entry !== undefined)
}

const newestFirst = (a: QuarantineEntry, b: QuarantineEntry): number => (b.quarantinedAt ?? '').localeCompare(a.quarantinedAt ?? '')

/** Every entry of one source key (a key quarantined more than once has several), newest first. */
export async function entriesOf(s3: S3Client, bucket: string, sourceKey: string, concurrency: number): Promise<QuarantineEntry[]> {
  const entries = await listEntries(s3, bucket, {prefix: `${sourceKey}/`, concurrency})
  return entries.filter((entry) => entry.sourceKey === sourceKey).sort(newestFirst)
}

/** What one command argument names: the entry key `list` prints (one entry), or a source key (all its entries). */
export interface ResolvedArgument {
  argument: string
  entries: QuarantineEntry[]
}

export async function resolveEntryArguments(s3: S3Client, bucket: string, args: string[], concurrency: number): Promise<ResolvedArgument[]> {
  return mapConcurrently(args, Math.min(concurrency, 8), async (argument) => {
    if (parseQuarantineKey(argument)) {
      const entry = await describeEntry(s3, bucket, argument)
      if (entry) return {argument, entries: [entry]}
    }
    return {argument, entries: await entriesOf(s3, bucket, argument, concurrency)}
  })
}
