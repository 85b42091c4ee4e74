import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {copyFile, type FileHandle, mkdir, open, readdir, readFile, rename, rm, rmdir, stat} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join, relative, sep} from 'node:path'
import {Readable, Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {writeFileAtomically} from '#core/files.js'

const require = createRequire(import.meta.url)

/*
 * s3rver's FilesystemStore keeps each object as three files named from its key: the content (`<key>._S3rver_object`),
 * its MD5, which is the ETag (`….md5`), and its headers (`<key>._S3rver_metadata.json`). It writes them in place, one
 * after the other, and answers the PUT only then. A process killed in between leaves a half-written object, and
 * s3rver then answers 500 "We encountered an internal error" to every HEAD, GET and listing that meets it (the
 * restarted pipeline died on its leftover listing that way). Here the store's writes become crash-safe, and start-up
 * repairs what an older run left.
 */

const OBJECT_SUFFIX = '._S3rver_object'
const MD5_SUFFIX = '._S3rver_object.md5'
const METADATA_SUFFIX = '._S3rver_metadata.json'
/** Temporary files of the writes below (writeFileAtomically's `<file>.<pid>.tmp`): never part of an object. */
const TEMPORARY = /\._S3rver_(object|object\.md5|metadata\.json)\.\d+\.tmp$/
/**
 * Recorded in the metadata file: the MD5 of the content it was written with, so that start-up can tell headers that
 * belong to other content. s3rver serves only known headers, so this one is never sent.
 */
const CONTENT_MD5 = 'eventpulse-content-md5'
const MD5_TEXT = /^[0-9a-f]{32}$/

type Metadata = Record<string, unknown>

interface S3rverObject {
  bucket: string
  key: string
  content: Readable | Buffer
  metadata: Record<string, string>
}

/** The parts of s3rver's FilesystemStore replaced or used here. */
interface FilesystemStore {
  getBucketPath(bucket: string): string
  getResourcePath(bucket: string, key: string, resource: string): string
  getMetadata(bucket: string, key: string): Promise<Metadata>
  putObject(object: S3rverObject): Promise<{size: number; md5: string}>
  copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, string> | null,
  ): Promise<Metadata>
  deleteObject(bucket: string, key: string): Promise<void>
  listObjects(bucket: string, options: unknown): Promise<unknown>
}

const filesOf = (store: FilesystemStore, bucket: string, key: string) => {
  const object = store.getResourcePath(bucket, key, 'object')
  return {object, md5: `${object}.md5`, metadata: store.getResourcePath(bucket, key, 'metadata.json')}
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT'

/** The headers s3rver keeps for an object (as its putMetadata picks them), with the content's MD5 recorded. */
function metadataFile(headers: Metadata, md5: string, key: string): string {
  const {ALLOWED_METADATA} = require('s3rver/lib/models/object.js') as {ALLOWED_METADATA: string[]}
  const kept = Object.entries(headers).filter(
    ([name]) => ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-'),
  )
  return JSON.stringify({...Object.fromEntries(kept), [CONTENT_MD5]: md5, [KEY]: key}, null, 2)
}

async function readMetadata(file: string): Promise<Metadata> {
  try {
    return JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    if (isMissing(error)) return {}
    throw error
  }
}

async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

/** The content's MD5: from its file when that holds one, else worked out from the content. */
async function contentMd5(files: {object: string; md5: string}): Promise<string> {
  const saved = await readFile(files.md5, 'utf8').catch(() => '')
  return MD5_TEXT.test(saved) ? saved : md5OfFile(files.object)
}

/**
 * Creates a temporary file beside an object. Its folder may be removed under it by the delete of the last other key
 * in it (between the mkdir and the open): then it is made again. Once the file is there, the folder stays.
 */
async function createStagingFile(file: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(file), {recursive: true})
    try {
      return await open(file, 'w', 0o600)
    } catch (error) {
      if (!isMissing(error) || attempt === 3) throw error
    }
  }
}

/** Writes the content into a temporary file beside the object, whole (waiting for the file, not just the stream). */
async function stage(content: Readable | Buffer, file: string): Promise<{size: number; md5: string}> {
  const hash = createHash('md5')
  let size = 0
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      size += chunk.length
      callback(null, chunk)
    },
  })
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content
  try {
    await pipeline(source, measure, createWriteStream('', {fd: await createStagingFile(file)}))
  } catch (error) {
    await rm(file, {force: true})
    throw error
  }
  return {size, md5: hash.digest('hex')}
}

/**
 * Puts a staged content in place with its metadata, in an order that a crash at any point leaves the key either as it
 * was, or complete, or recognisably half-written (content whose metadata file is missing or records another MD5):
 * the MD5 file goes first, so the ETag is worked out from the content until the new one is written; each file is
 * replaced by a rename, never rewritten in place.
 */
async function commit(
  files: ReturnType<typeof filesOf>,
  staged: string,
  object: {key: string; headers: Metadata; md5: string},
) {
  await rm(files.md5, {force: true})
  await rename(staged, files.object)
  await writeFileAtomically(files.metadata, metadataFile(object.headers, object.md5, object.key), {mode: 0o600})
  await writeFileAtomically(files.md5, object.md5, {mode: 0o600})
}

/** Removes the folders a key's path made, as far up as they are empty (a concurrent write may fill one again). */
async function removeEmptyFolders(bucketPath: string, folder: string): Promise<void> {
  while (folder.startsWith(bucketPath + sep)) {
    try {
      await rmdir(folder)
    } catch {
      return
    }
    folder = dirname(folder)
  }
}

/**
 * Makes one s3rver store's writes crash-safe (see commit) and its reads tolerant: the writes to one key run one at
 * a time, a missing or malformed MD5 file is worked out from the content (never rewritten by a read), and a listing
 * that meets a file deleted under it (s3rver walks the folders synchronously) is tried again.
 */
export function makeStoreCrashSafe(store: FilesystemStore): void {
  const writes = new Map<string, Promise<unknown>>()
  const oneAtATime = <T>(file: string, write: () => Promise<T>): Promise<T> => {
    const result = (writes.get(file) ?? Promise.resolve()).then(write)
    const tail = result.catch(() => undefined)
    writes.set(file, tail)
    void tail.then(() => writes.get(file) === tail && writes.delete(file))
    return result
  }
  const temporaryFor = (file: string) => `${file}.${process.pid}.tmp`

  store.getMetadata = async (bucket, key) => {
    const files = filesOf(store, bucket, key)
    const stats = await stat(files.object)
    const [{[CONTENT_MD5]: _recorded, [KEY]: _key, ...metadata}, md5] = await Promise.all([
      readMetadata(files.metadata),
      contentMd5(files),
    ])
    return {
      ...metadata,
      etag: JSON.stringify(md5),
      'last-modified': stats.mtime.toUTCString(),
      'content-length': stats.size,
    }
  }

  store.putObject = (object) => {
    const files = filesOf(store, object.bucket, object.key)
    return oneAtATime(files.object, async () => {
      const staged = temporaryFor(files.object)
      const written = await stage(object.content, staged)
      await commit(files, staged, {key: object.key, headers: object.metadata, md5: written.md5})
      return written
    })
  }

  store.copyObject = (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    const source = filesOf(store, srcBucket, srcKey)
    const target = filesOf(store, destBucket, destKey)
    return oneAtATime(target.object, async () => {
      const headers = replacementMetadata ?? (await readMetadata(source.metadata))
      const staged = temporaryFor(target.object)
      await (await createStagingFile(staged)).close()
      await copyFile(source.object, staged)
      await commit(target, staged, {key: destKey, headers, md5: await md5OfFile(staged)})
      return store.getMetadata(destBucket, destKey)
    })
  }

  store.deleteObject = (bucket, key) => {
    const files = filesOf(store, bucket, key)
    return oneAtATime(files.object, async () => {
      // The content first: without it the key is gone, and a leftover MD5 or metadata file is ignored (and removed at start).
      await rm(files.object, {force: true})
      // Tags (stored by emulators.ts for writes that carry them) go with the object, as on S3.
      const tags = store.getResourcePath(bucket, key, 'tagging.xml')
      await Promise.all([rm(files.md5, {force: true}), rm(files.metadata, {force: true}), rm(tags, {force: true})])
      await removeEmptyFolders(store.getBucketPath(bucket), dirname(files.object))
    })
  }

  const listObjects = store.listObjects.bind(store)
  store.listObjects = async (bucket, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await listObjects(bucket, options)
      } catch (error) {
        if (!isMissing(error) || attempt === 3) throw error
      }
    }
  }
}

/*
 * s3rver names an object's files after its key, one folder per segment. S3 takes any key of up to 1,024 bytes, which
 * that mapping cannot always hold: a segment over the file-name limit (255 bytes, less the suffixes) fails with a
 * 500, and an empty, `.` or `..` folder segment is folded by path.join into another key's path (or out of the bucket).
 * Such keys are kept instead in one folder of the bucket, under their SHA-256, with the key itself in their metadata
 * file; listing reads it back from there. Keys whose first segment names that folder go there too, so no other key's
 * path can fall into it.
 */
const HASHED_FOLDER = '._S3rver_hashed'
const MAX_SEGMENT_BYTES = 200
/** Recorded in the metadata file of an object kept under its hash: its key. Never served, as CONTENT_MD5. */
const KEY = 'eventpulse-key'

function hasNoPathOfItsOwn(key: string): boolean {
  const segments = key.split('/')
  const folders = segments.slice(0, -1)
  return (
    folders[0] === HASHED_FOLDER ||
    folders.some((segment) => segment === '' || segment === '.' || segment === '..') ||
    segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
  )
}

/** S3's key order: by UTF-8 bytes (JavaScript compares UTF-16 units, which orders some characters otherwise). */
const byS3Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

interface ListOptions {
  prefix?: string
  startAfter?: string
  delimiter?: string
  maxKeys?: number
}

/**
 * The keys below `folder` (whose keys all start with `keyPrefix`), in S3's order, skipping the folders that cannot hold
 * a key after `startAfter` or under `prefix`. Within a folder, a file stands for its key and a subfolder for every key
 * that starts with its name and a `/`: ordering those by these fragments orders the keys.
 */
async function* keysInOrder(folder: string, keyPrefix: string, options: ListOptions): AsyncGenerator<string> {
  const {prefix = '', startAfter = ''} = options
  const entries = await readdir(folder, {withFileTypes: true}).catch((error) => {
    if (isMissing(error)) return []
    throw error
  })
  const fragments = entries.flatMap((entry): {fragment: string; folder?: string}[] => {
    if (entry.isDirectory())
      return keyPrefix === '' && entry.name === HASHED_FOLDER ? [] : [{fragment: `${entry.name}/`, folder: entry.name}]
    return entry.name.endsWith(OBJECT_SUFFIX) ? [{fragment: entry.name.slice(0, -OBJECT_SUFFIX.length)}] : []
  })
  for (const {fragment, folder: sub} of fragments.sort((a, b) => byS3Order(a.fragment, b.fragment))) {
    const key = keyPrefix + fragment
    if (sub === undefined) {
      if (key.startsWith(prefix) && byS3Order(key, startAfter) > 0) yield key
      continue
    }
    const overlapsPrefix = key.startsWith(prefix) || prefix.startsWith(key)
    const allBeforeStart = byS3Order(key, startAfter) < 0 && !startAfter.startsWith(key)
    if (overlapsPrefix && !allBeforeStart) yield* keysInOrder(join(folder, sub), key, options)
  }
}

/** The keys kept under their hash (see HASHED_FOLDER) that the listing asks for, in S3's order. */
async function hashedKeys(bucketPath: string, options: ListOptions): Promise<string[]> {
  const {prefix = '', startAfter = ''} = options
  const folder = join(bucketPath, HASHED_FOLDER)
  const names = await readdir(folder).catch((error) => {
    if (isMissing(error)) return []
    throw error
  })
  const keys = await Promise.all(
    names
      .filter((name) => name.endsWith(OBJECT_SUFFIX))
      .map(async (name) => (await readMetadata(join(folder, name.replace(OBJECT_SUFFIX, METADATA_SUFFIX))))[KEY]),
  )
  return keys
    .filter((key): key is string => typeof key === 'string' && key.startsWith(prefix) && byS3Order(key, startAfter) > 0)
    .sort(byS3Order)
}

/** Both sorted sequences, merged in S3's order. */
async function* merged(walked: AsyncGenerator<string>, hashed: string[]): AsyncGenerator<string> {
  let next = 0
  for await (const key of walked) {
    while (next < hashed.length && byS3Order(hashed[next], key) < 0) yield hashed[next++]
    yield key
  }
  yield* hashed.slice(next)
}

/**
 * Lets one s3rver store take every key S3 takes (see HASHED_FOLDER), and lists its keys in S3's order, common
 * prefixes included. (s3rver's own listing follows its folders' order, which puts `a/b` before `a.b`.)
 */
export function makeStoreTakeAnyKey(store: FilesystemStore): void {
  const pathOf = store.getResourcePath.bind(store)
  store.getResourcePath = (bucket, key = '', resource) =>
    hasNoPathOfItsOwn(key)
      ? join(
          store.getBucketPath(bucket),
          HASHED_FOLDER,
          `${createHash('sha256').update(key).digest('hex')}._S3rver_${resource}`,
        )
      : pathOf(bucket, key, resource)

  store.listObjects = async (bucket, options: ListOptions) => {
    const {prefix = '', delimiter = '', maxKeys = Infinity} = options
    const bucketPath = store.getBucketPath(bucket)
    const keys: string[] = []
    const commonPrefixes = new Set<string>()
    let isTruncated = false
    for await (const key of merged(keysInOrder(bucketPath, '', options), await hashedKeys(bucketPath, options))) {
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1
      if (cut !== -1) commonPrefixes.add(key.slice(0, cut + delimiter.length))
      else if (keys.length < maxKeys) keys.push(key)
      else {
        isTruncated = true
        break
      }
    }
    const S3Object = require('s3rver/lib/models/object.js')
    const objects = await Promise.all(
      keys.map((key) =>
        store.getMetadata(bucket, key).then(
          (metadata) => new S3Object(bucket, key, null, metadata),
          (error: unknown) => {
            // Deleted since it was listed.
            if (isMissing(error)) return undefined
            throw error
          },
        ),
      ),
    )
    return {objects: objects.filter(Boolean), commonPrefixes: [...commonPrefixes].sort(byS3Order), isTruncated}
  }
}

/** An object start-up moved out of its bucket: where its files are now, and why. */
export interface SetAsideObject {
  bucket: string
  key: string
  why: string
  folder: string
}

async function* filesUnder(folder: string): AsyncGenerator<string> {
  for (const entry of await readdir(folder, {withFileTypes: true})) {
    const path = join(folder, entry.name)
    if (entry.isDirectory()) yield* filesUnder(path)
    else yield path
  }
}

/** Why an object's files are not a whole object, or undefined when they are. */
async function damage(files: ReturnType<typeof filesOf>): Promise<string | undefined> {
  let metadata: Metadata
  try {
    metadata = JSON.parse(await readFile(files.metadata, 'utf8'))
  } catch (error) {
    return isMissing(error) ? 'its metadata file is missing' : 'its metadata file is cut short'
  }
  const recorded = metadata[CONTENT_MD5]
  if (recorded !== undefined && recorded !== (await contentMd5(files))) return 'its metadata belongs to other content'
  return undefined
}

/**
 * Before s3rver serves a directory: removes what interrupted writes left beside whole objects (temporary files, an MD5
 * or metadata file without its content; an MD5 file cut short is ignored, see contentMd5), and moves
 * every object whose files are not whole out of its bucket into `setAsideDirectory/<time>/<bucket>/`, with a
 * report.json saying why.
 *
 * Setting those aside never loses a write that succeeded: a PUT or copy is answered only after all its files are in
 * place (see commit), so a half-written object is one whose writer was never told it was stored (an uploader sends
 * it again; the processor's quarantine copy is redone from the object still in the processing bucket). Kept in its
 * bucket, it would fail every request that meets it, or pass for a quarantine entry already written.
 * Reads one small file or two per object; the content only where its MD5 file is missing.
 */
export async function repairS3Files(directory: string, setAsideDirectory: string): Promise<SetAsideObject[]> {
  const setAside: SetAsideObject[] = []
  const folder = join(setAsideDirectory, new Date().toISOString().replaceAll(':', '-'))
  const buckets = await readdir(directory, {withFileTypes: true}).catch(() => [])
  for (const bucket of buckets.filter((entry) => entry.isDirectory())) {
    const bucketPath = join(directory, bucket.name)
    const objects: string[] = []
    const companions: string[] = []
    for await (const file of filesUnder(bucketPath)) {
      if (TEMPORARY.test(file)) await rm(file, {force: true})
      else if (file.endsWith(OBJECT_SUFFIX)) objects.push(file.slice(0, -OBJECT_SUFFIX.length))
      else if (file.endsWith(MD5_SUFFIX)) companions.push(file.slice(0, -MD5_SUFFIX.length))
      else if (file.endsWith(METADATA_SUFFIX)) companions.push(file.slice(0, -METADATA_SUFFIX.length))
    }
    const whole = new Set(objects)
    for (const base of companions.filter((base) => !whole.has(base)))
      await Promise.all([rm(base + MD5_SUFFIX, {force: true}), rm(base + METADATA_SUFFIX, {force: true})])
    for (const base of objects) {
      const files = {object: base + OBJECT_SUFFIX, md5: base + MD5_SUFFIX, metadata: base + METADATA_SUFFIX}
      const why = await damage(files)
      if (!why) continue
      // An object kept under its key's hash (HASHED_FOLDER) is named by the key its metadata records, when it can be read.
      const recorded = (await readMetadata(files.metadata).catch((): Metadata => ({})))[KEY]
      const key = typeof recorded === 'string' ? recorded : relative(bucketPath, base).split(sep).join('/')
      const target = join(folder, bucket.name, relative(bucketPath, dirname(files.object)))
      await mkdir(target, {recursive: true, mode: 0o700})
      for (const file of Object.values(files))
        await rename(file, join(target, file.slice(dirname(file).length + 1))).catch((error) => {
          if (!isMissing(error)) throw error
        })
      setAside.push({bucket: bucket.name, key, why, folder: target})
    }
  }
  if (setAside.length > 0)
    await writeFileAtomically(join(folder, 'report.json'), JSON.stringify(setAside, null, 2), {mode: 0o600})
  return setAside
}
