import {GetObjectTaggingCommand, HeadObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {type PipelineTarget, resource} from '#aws/clients.js'
import {isNoSuchKey} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {listObjects, listObjectVersions} from '#aws/list-objects.js'
import {
  decodeMetadataValue,
  entryKeyPrefix,
  isEntryOf,
  parseQuarantineKey,
  QUARANTINE_METADATA,
  QUARANTINE_TAGS,
} from '#contract/pipeline-contract.js'

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
  /** The record's line in its batch object: a batch's records are quarantined one entry per line. */
  line?: number
  /** The file the record came from, when `upload --batch` packed it into the batch. */
  file?: string
  /** A duplicate: the version of the stored item it was judged against (absent on entries made before versions). */
  judgedVersion?: number
  /** Deleted, with older versions left (a purge cut short): described from its newest version. */
  deleted?: true
}

/**
 * Reads an entry's recorded reason, message and source upload from its metadata (of its current version, or of the
 * version given); undefined when it is gone.
 */
async function describeEntry(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<QuarantineEntry | undefined> {
  // Only entry keys get here: entryKeys keeps no other.
  const {sourceKey, entryId} = parseQuarantineKey(key)!
  try {
    const head = await s3.send(new HeadObjectCommand({Bucket: bucket, Key: key, VersionId: versionId}))
    const metadata = head.Metadata ?? {}
    const read = (name: string) => (metadata[name] === undefined ? undefined : decodeMetadataValue(metadata[name]))
    return {
      key,
      // An entry key in the hashed layout holds only the head of its source key; the metadata holds it whole.
      sourceKey: sourceKey ?? read(QUARANTINE_METADATA.sourceKey) ?? key,
      entryId,
      size: head.ContentLength ?? 0,
      quarantinedAt: read(QUARANTINE_METADATA.quarantinedAt) ?? head.LastModified?.toISOString(),
      reason: read(QUARANTINE_METADATA.reason),
      message: read(QUARANTINE_METADATA.message),
      sourceEtag: read(QUARANTINE_METADATA.sourceEtag),
      ...(metadata[QUARANTINE_METADATA.sourceLine] ? {line: Number(metadata[QUARANTINE_METADATA.sourceLine])} : {}),
      ...(metadata[QUARANTINE_METADATA.sourceFile] ? {file: read(QUARANTINE_METADATA.sourceFile)} : {}),
      ...(metadata[QUARANTINE_METADATA.judgedVersion]
        ? {judgedVersion: Number(metadata[QUARANTINE_METADATA.judgedVersion])}
        : {}),
    }
  } catch (error) {
    if (isNoSuchKey(error)) return undefined
    throw error
  }
}

/** Keys of the entries under a prefix, in S3's key order. */
async function entryKeys(target: PipelineTarget, options: {prefix?: string}): Promise<string[]> {
  const keys: string[] = []
  for await (const object of listObjects(target.s3, resource(target, 'quarantineBucket'), {prefix: options.prefix})) {
    // Objects not laid out by the pipeline (someone's stray upload) are not entries.
    if (!parseQuarantineKey(object.key)) continue
    keys.push(object.key)
  }
  return keys
}

/**
 * Keys of one source key's entries, in either layout (entryKeyPrefix), but not those of the longer source keys it
 * prefixes.
 */
async function entryKeysOf(target: PipelineTarget, sourceKey: string): Promise<string[]> {
  return (await entryKeys(target, {prefix: entryKeyPrefix(sourceKey)})).filter((key) => isEntryOf(key, sourceKey))
}

/**
 * Reads the entries' metadata, `concurrency` at a time (by default the target's); entries gone meanwhile are left out.
 */
async function describeEntries(
  target: PipelineTarget,
  keys: string[],
  concurrency = target.concurrency,
): Promise<QuarantineEntry[]> {
  const bucket = resource(target, 'quarantineBucket')
  const entries = await mapConcurrently(keys, concurrency, (key) => describeEntry(target.s3, bucket, key))
  return entries.filter((entry): entry is QuarantineEntry => entry !== undefined)
}

/**
 * Entries under a prefix, with their metadata, in S3's key order; `limit` caps how many are described, and `total`
 * counts them all (listing is cheap: only the entries shown are read).
 */
export async function listEntries(
  target: PipelineTarget,
  options: {prefix?: string; limit?: number} = {},
): Promise<{entries: QuarantineEntry[]; total: number}> {
  const keys = await entryKeys(target, {prefix: options.prefix})
  return {entries: await describeEntries(target, keys.slice(0, options.limit)), total: keys.length}
}

/** Orders entries newest first; one with no time recorded goes last. */
export function newestFirst(a: {quarantinedAt?: string}, b: {quarantinedAt?: string}): number {
  return (b.quarantinedAt ?? '').localeCompare(a.quarantinedAt ?? '')
}

/**
 * Every entry of one source key (a key quarantined more than once has several), newest first. `concurrency` bounds the
 * metadata reads: callers that already fan out over many keys pass 1, so requests in flight stay within the target's.
 */
export async function entriesOf(
  target: PipelineTarget,
  sourceKey: string,
  concurrency = target.concurrency,
): Promise<QuarantineEntry[]> {
  return (await describeEntries(target, await entryKeysOf(target, sourceKey), concurrency)).sort(newestFirst)
}

/**
 * The entries an argument names (the entry key, or a source key's entries) that are deleted but keep older versions,
 * as a purge cut short leaves them, each described from its newest version; none where the bucket keeps no versions.
 */
async function deletedEntriesNamed(target: PipelineTarget, argument: string): Promise<QuarantineEntry[]> {
  const bucket = resource(target, 'quarantineBucket')
  const current = new Set<string>()
  const newestVersion = new Map<string, string>()
  for await (const page of listObjectVersions(target.s3, bucket, argument))
    for (const version of page) {
      if (version.isLatest && !version.deleteMarker) current.add(version.key)
      else if (!version.deleteMarker && !newestVersion.has(version.key))
        newestVersion.set(version.key, version.versionId)
    }
  const named = [...newestVersion.keys()].filter((key) => {
    const parsed = parseQuarantineKey(key)
    return parsed && !current.has(key) && (key === argument || parsed.sourceKey === argument)
  })
  const entries = await mapConcurrently(named, target.concurrency, (key) =>
    describeEntry(target.s3, bucket, key, newestVersion.get(key)),
  )
  return entries.flatMap((entry) => (entry ? [{...entry, deleted: true as const}] : []))
}

/** What one command argument names: the entry key `list` prints (one entry), or a source key (all its entries). */
export interface ResolvedArgument {
  argument: string
  entries: QuarantineEntry[]
}

/**
 * Resolves the arguments in two rounds, each `target.concurrency` wide: the entry keys each argument names (listing),
 * then the metadata of all of them at once. With `line`, only the entries of that line of a batch object. With
 * `deleted` (`rm --purge`), also the entries deleted but not purged, so that a purge cut short can be finished.
 */
export async function resolveEntryArguments(
  target: PipelineTarget,
  args: string[],
  options: {line?: number; deleted?: boolean} = {},
): Promise<ResolvedArgument[]> {
  const keysPerArgument = await mapConcurrently(args, target.concurrency, async (argument) => {
    // An entry key names itself when it exists; otherwise the argument is a source key.
    if (parseQuarantineKey(argument) && (await entryKeys(target, {prefix: argument})).includes(argument))
      return [argument]
    return entryKeysOf(target, argument)
  })
  const described = new Map(
    (await describeEntries(target, [...new Set(keysPerArgument.flat())])).map((entry) => [entry.key, entry]),
  )
  const deletedPerArgument = options.deleted
    ? await mapConcurrently(args, target.concurrency, (argument) => deletedEntriesNamed(target, argument))
    : []
  return args.map((argument, index) => ({
    argument,
    entries: [
      ...keysPerArgument[index].flatMap((key) => described.get(key) ?? []),
      ...(deletedPerArgument[index] ?? []),
    ]
      .filter((entry) => options.line === undefined || entry.line === options.line)
      .sort(newestFirst),
  }))
}

/** A quarantine entry as the uploader may see it: from the listing and the entry's tags, never its content or metadata. */
export interface TaggedEntry {
  key: string
  quarantinedAt?: string
  reason?: string
  sourceEtag?: string
}

/**
 * Every entry of one source key, newest first, read with listing and GetObjectTagging only (the uploader's rights:
 * status and `upload --wait` tell a quarantined upload and its reason without reading anyone's rejected record).
 */
export async function taggedEntriesOf(target: PipelineTarget, sourceKey: string): Promise<TaggedEntry[]> {
  const bucket = resource(target, 'quarantineBucket')
  const entries: TaggedEntry[] = []
  for await (const object of listObjects(target.s3, bucket, {prefix: entryKeyPrefix(sourceKey)})) {
    if (!isEntryOf(object.key, sourceKey)) continue
    const entry = await taggedEntry(target, object.key, object.lastModified)
    if (entry) entries.push(entry)
  }
  return entries.sort(newestFirst)
}

/** One entry, read from its tags alone (the uploader's rights); undefined when it is gone. */
export async function taggedEntry(
  target: PipelineTarget,
  key: string,
  lastModified?: Date,
): Promise<TaggedEntry | undefined> {
  const tags = await target.s3
    .send(new GetObjectTaggingCommand({Bucket: resource(target, 'quarantineBucket'), Key: key}))
    .then((answer) => Object.fromEntries((answer.TagSet ?? []).map((tag) => [tag.Key, tag.Value])))
    .catch((error: unknown) => {
      if (isNoSuchKey(error)) return undefined
      throw error
    })
  if (!tags) return undefined
  return {
    key,
    quarantinedAt: tags[QUARANTINE_TAGS.quarantinedAt] ?? lastModified?.toISOString(),
    reason: tags[QUARANTINE_TAGS.reason],
    sourceEtag: tags[QUARANTINE_TAGS.sourceEtag],
  }
}
