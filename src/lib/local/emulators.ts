import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {MAX_S3_KEY_BYTES} from '#contract/limits.js'
import type {LocalCredentials} from './credentials.js'
import {ownerOnly} from './owner-only.js'
import {makeStoreCrashSafe, makeStoreTakeAnyKey, repairS3Files, type SetAsideObject} from './s3-files.js'

const require = createRequire(import.meta.url)

/** A local stand-in for one AWS service, listening on 127.0.0.1. */
export interface Emulator {
  endpoint: string
  /** Settles if the server fails or closes while nobody asked it to; never otherwise. */
  failure: Promise<Error>
  close(): Promise<void>
}

/** Listens on the port (a busy one rejects, with EADDRINUSE) and watches the server for failures from then on. */
async function serve(server: Server, host: string, port: number): Promise<Emulator> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  let closing = false
  const failure = new Promise<Error>((resolve) => {
    server.on('error', resolve)
    server.on('close', () => closing || resolve(new Error('its server closed')))
  })
  const {address, port: bound} = server.address() as AddressInfo
  return {
    endpoint: `http://${address}:${bound}`,
    failure,
    close: () =>
      new Promise((resolve, reject) => {
        closing = true
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeIdleConnections()
      }),
  }
}

let dynaliteFaithful = false

/**
 * DynamoDB returns the item that failed a put's condition when asked (ReturnValuesOnConditionCheckFailure),
 * which saves the processor a GetItem on the duplicate path; dynalite drops the parameter. Teach it, once per
 * process: dynalite's request validation keeps the parameter, and its condition check attaches the item.
 */
function makeDynaliteReturnItemOnConditionFailure(): void {
  if (dynaliteFaithful) return
  dynaliteFaithful = true
  require('dynalite/validations/putItem.js').types.ReturnValuesOnConditionCheckFailure = {
    type: 'String',
    enum: ['ALL_OLD', 'NONE'],
  }
  const db = require('dynalite/db/index.js')
  const checkConditional = db.checkConditional
  db.checkConditional = function (data: {ReturnValuesOnConditionCheckFailure?: string}, existingItem: unknown) {
    const error = checkConditional.call(this, data, existingItem)
    if (error && existingItem && data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') error.body.Item = existingItem
    return error
  }
}

/**
 * dynalite (the DynamoDB API) with its LevelDB under `path`, so the table survives restarts; it answers only requests
 * signed with `credentials` (see owner-only.ts).
 */
export async function startDynamoDb(options: {
  path: string
  host: string
  port: number
  /** Every pair of keys it takes requests signed with. */
  credentials: LocalCredentials[]
}): Promise<Emulator> {
  makeDynaliteReturnItemOnConditionFailure()
  await mkdir(options.path, {recursive: true})
  const dynalite = require('dynalite')
  const server: Server = dynalite({path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})
  const [listener] = server.listeners('request') as Parameters<typeof ownerOnly>[2][]
  server.removeAllListeners('request')
  server.on('request', ownerOnly('dynamodb', options.credentials, listener))
  return serve(server, options.host, options.port)
}

/** What s3rver tells about an object written to one of its buckets (an S3 event notification record). */
export interface S3rverRecord {
  eventName: string
  s3: {bucket: {name: string}; object: {key: string; size?: number; eTag?: string}}
}

interface KoaContext {
  method: string
  path: string
  query: Record<string, unknown>
  headers: Record<string, string | string[] | undefined>
  status: number
  body: unknown
  type: string
  store: {
    getMetadata(bucket: string, key: string): Promise<{etag: string}>
    getResourcePath(bucket: string, key: string, resource: string): string
  }
}

const SIMPLE_OBJECT_QUERY = new Set(['x-id', 'versionId'])

function objectTarget(ctx: KoaContext): {bucket: string; key: string} | undefined {
  if (Object.keys(ctx.query).some((name) => !SIMPLE_OBJECT_QUERY.has(name))) return undefined
  const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path)
  return match ? {bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2])} : undefined
}

async function etagOf(ctx: KoaContext, bucket: string, key: string): Promise<string | undefined> {
  try {
    return (await ctx.store.getMetadata(bucket, key)).etag
  } catch {
    return undefined
  }
}

/** An S3 error answer; a HEAD's answer has no body, as S3's. */
function s3Error(ctx: KoaContext, status: number, code: string, message: string, more = ''): void {
  ctx.status = status
  if (ctx.method === 'HEAD') return
  ctx.type = 'application/xml'
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${more}</Error>`
}

const preconditionFailed = (ctx: KoaContext, condition: string): void =>
  s3Error(
    ctx,
    412,
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    `<Condition>${condition}</Condition>`,
  )

const header = (ctx: KoaContext, name: string): string | undefined => {
  const value = ctx.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * The conditional requests the processor relies on, which S3 honours and s3rver ignores: If-Match on
 * GET/HEAD/DELETE, If-None-Match: * on PUT (and copy), x-amz-copy-source-if-match. Also decodes the copy source
 * the way S3 does (s3rver uses decodeURI, which leaves %23, %2B, ... encoded, so such keys could not be copied).
 * S3 applies a condition and the request it guards as one step: here requests to one object run one at a time, so
 * that an upload cannot land between a conditional delete's check and the delete (and be deleted unseen).
 */
function s3ConditionalRequests(): (ctx: KoaContext, next: () => Promise<void>) => Promise<void> {
  const queues = new Map<string, Promise<void>>()
  return async (ctx, next) => {
    const target = objectTarget(ctx)
    if (!target) return next()
    const name = `${target.bucket}/${target.key}`
    const previous = queues.get(name) ?? Promise.resolve()
    let release!: () => void
    const done = new Promise<void>((resolve) => (release = resolve))
    const mine = previous.then(() => done)
    queues.set(name, mine)
    await previous
    try {
      await conditionalRequest(ctx, target, next)
    } finally {
      release()
      if (queues.get(name) === mine) queues.delete(name)
    }
  }
}

async function conditionalRequest(
  ctx: KoaContext,
  target: {bucket: string; key: string},
  next: () => Promise<void>,
): Promise<void> {
  const ifMatch = header(ctx, 'if-match')
  if (ifMatch && ['GET', 'HEAD', 'DELETE'].includes(ctx.method)) {
    const etag = await etagOf(ctx, target.bucket, target.key)
    if (etag !== undefined && etag !== ifMatch) return preconditionFailed(ctx, 'If-Match')
  }
  if (ctx.method === 'PUT') {
    if (header(ctx, 'if-none-match') === '*' && (await etagOf(ctx, target.bucket, target.key)) !== undefined)
      return preconditionFailed(ctx, 'If-None-Match')
    const copySource = header(ctx, 'x-amz-copy-source')
    if (copySource) {
      const source = decodeURIComponent(copySource.split('?')[0]).replace(/^\//, '')
      const slash = source.indexOf('/')
      const sourceIfMatch = header(ctx, 'x-amz-copy-source-if-match')
      if (sourceIfMatch) {
        const etag = await etagOf(ctx, source.slice(0, slash), source.slice(slash + 1))
        if (etag !== undefined && etag !== sourceIfMatch) return preconditionFailed(ctx, 'x-amz-copy-source-If-Match')
      }
      // s3rver applies decodeURI to this header: encodeURI is its inverse, and keeps '#', '+', '?' ... as they are.
      ctx.headers['x-amz-copy-source'] = encodeURI(source)
    }
  }
  await next()
}

/** S3 refuses a key over 1,024 bytes of UTF-8 with KeyTooLongError (400); s3rver would try to store it. */
async function s3KeyLimit(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  const key = /^\/[^/]+\/(.+)$/.exec(ctx.path)?.[1]
  if (key === undefined || Buffer.byteLength(decodeURIComponent(key)) <= MAX_S3_KEY_BYTES) return next()
  s3Error(ctx, 400, 'KeyTooLongError', 'Your key is too long')
}

/**
 * The processing bucket's policy on AWS (infra/storage.ts, RequireConditionalWrites) refuses every object creation
 * without If-None-Match: PutObject, CopyObject and CompleteMultipartUpload. CreateMultipartUpload and the parts
 * (UploadPart, UploadPartCopy) take no conditional header and stay allowed, as there. Without this a local upload
 * could silently replace one still in flight, which AWS never lets happen.
 */
function conditionalWritesOnly(buckets: string[]): (ctx: KoaContext, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path)
    if (!match || !buckets.includes(decodeURIComponent(match[1]))) return next()
    // A plain PUT (object or copy; not a part, not tags) or the POST that completes a multipart upload.
    const put = ctx.method === 'PUT' && objectTarget(ctx) !== undefined
    const complete = ctx.method === 'POST' && Object.hasOwn(ctx.query, 'uploadId')
    if (!put && !complete) return next()
    const ifNoneMatch = header(ctx, 'if-none-match')
    if (ifNoneMatch === undefined)
      return s3Error(ctx, 403, 'AccessDenied', 'This bucket takes only conditional writes (If-None-Match)')
    // s3rver completes a multipart upload regardless of the header; S3 refuses to replace an existing key.
    const key = decodeURIComponent(match[2])
    if (complete && ifNoneMatch === '*' && (await etagOf(ctx, decodeURIComponent(match[1]), key)) !== undefined)
      return preconditionFailed(ctx, 'If-None-Match')
    return next()
  }
}

const escapeXml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/**
 * Tags given with a write (x-amz-tagging on PUT, and on a copy with x-amz-tagging-directive: REPLACE), which S3 stores
 * with the object in the same request and s3rver ignores: stored here as s3rver stores a PutObjectTagging, once the
 * write succeeded. (Not one atomic step as on S3; nothing reads an entry's tags before its write has answered.)
 */
async function s3TagsOnWrite(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  await next()
  const target = objectTarget(ctx)
  const tagging = header(ctx, 'x-amz-tagging')
  if (!target || ctx.method !== 'PUT' || tagging === undefined || ctx.status !== 200) return
  if (header(ctx, 'x-amz-copy-source') && header(ctx, 'x-amz-tagging-directive') !== 'REPLACE') return
  const tags = [...new URLSearchParams(tagging)]
    .map(([key, value]) => `<Tag><Key>${escapeXml(key)}</Key><Value>${escapeXml(value)}</Value></Tag>`)
    .join('')
  // Written as is: s3rver's own tagging model parses values as XML and would turn an all-digit ETag into a number.
  await writeFile(tagsFile(ctx, target), `<Tagging><TagSet>${tags}</TagSet></Tagging>`)
}

const tagsFile = (ctx: KoaContext, target: {bucket: string; key: string}): string =>
  ctx.store.getResourcePath(target.bucket, target.key, 'tagging.xml')

/** GetObjectTagging answers the tags as they were written (see s3TagsOnWrite), strings kept strings. */
async function s3TagsAsWritten(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  const match = ctx.method === 'GET' && Object.hasOwn(ctx.query, 'tagging') ? /^\/([^/]+)\/(.+)$/.exec(ctx.path) : null
  const written = match
    ? await readFile(
        tagsFile(ctx, {bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2])}),
        'utf8',
      ).catch(() => undefined)
    : undefined
  if (written === undefined) return next()
  ctx.type = 'application/xml'
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${written}`
}

export interface S3Emulator extends Emulator {
  /** Objects a crash left half-written, moved out of their buckets before the server started. */
  setAside: SetAsideObject[]
  /** Called for every object created in any bucket. */
  onObjectCreated(listener: (record: S3rverRecord) => void): void
}

/** The access key id a request is signed with: ownerOnly has checked the signature by the pair it names. */
function signingKeyId(ctx: KoaContext): string | undefined {
  return /Credential=([^/,\s]+)/.exec(header(ctx, 'authorization') ?? '')?.[1]
}

/** A key prefix of one bucket that only some roles may write under (REPLACE_PREFIX, SELFTEST_PREFIX). */
export interface ReservedPrefix {
  bucket: string
  prefix: string
  /** The access key ids of the allowed roles: the keyring's pairs (see credentials.ts). */
  allowedKeys: string[]
}

/**
 * What the stack's IAM policies and bucket policy do on AWS: a write (PUT, or a multipart POST) under a reserved prefix
 * is refused (403 AccessDenied) unless it is signed with one of the prefix's allowed keys.
 */
function s3ReservedPrefixes(reserved: ReservedPrefix[]) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    const target = objectTarget(ctx)
    const refusedBy =
      ctx.method === 'PUT' || ctx.method === 'POST'
        ? reserved.find(
            ({bucket, prefix, allowedKeys}) =>
              target?.bucket === bucket &&
              target.key.startsWith(prefix) &&
              !allowedKeys.includes(signingKeyId(ctx) ?? ''),
          )
        : undefined
    if (!refusedBy) return next()
    ctx.status = 403
    ctx.type = 'application/xml'
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>` +
      `<Message>Only the roles the pipeline allows may write under ${refusedBy.prefix}</Message></Error>`
  }
}

/**
 * s3rver (the S3 API) with its files under `directory`, the buckets created, its writes made crash-safe and what an
 * interrupted run left half-written set aside under `setAsideDirectory` (by default `damaged` beside `directory`;
 * see s3-files.ts). It answers only requests signed with `credentials` (see owner-only.ts).
 */
export async function startS3(options: {
  directory: string
  setAsideDirectory?: string
  host: string
  port: number
  /** Every pair of keys it takes requests signed with. */
  credentials: LocalCredentials[]
  buckets: string[]
  /** Buckets whose policy on AWS refuses object creations without If-None-Match (the processing bucket). */
  conditionalWritesOnly?: string[]
  /** Key prefixes only some roles may write under: replacements, canaries. */
  reservedPrefixes?: ReservedPrefix[]
}): Promise<S3Emulator> {
  const {directory, setAsideDirectory = join(dirname(directory), 'damaged')} = options
  await mkdir(directory, {recursive: true})
  const setAside = await repairS3Files(directory, setAsideDirectory)
  const S3rver = require('s3rver')
  // s3rver looks the signing key up in its own account (then leaves SigV4 unchecked): let it know ours.
  const account = require('s3rver/lib/models/account.js').DUMMY_ACCOUNT
  for (const pair of options.credentials) account.createKeyPair(pair.accessKeyId, pair.secretAccessKey)
  const s3rver = new S3rver({
    address: options.host,
    port: options.port,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({name})),
    // s3rver cannot check SigV4: ownerOnly does, on the request as received (the copy-source fix above rewrites a
    // signed header afterwards).
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  })
  s3rver.middleware.unshift(
    s3KeyLimit,
    conditionalWritesOnly(options.conditionalWritesOnly ?? []),
    s3ConditionalRequests(),
    s3TagsOnWrite,
    s3TagsAsWritten,
  )
  if (options.reservedPrefixes) s3rver.middleware.unshift(s3ReservedPrefixes(options.reservedPrefixes))
  makeStoreTakeAnyKey(s3rver.store)
  makeStoreCrashSafe(s3rver.store)
  await s3rver.configureBuckets()
  // Our own server rather than s3rver.run(), which leaves a busy port as an unhandled 'error' event.
  const emulator = await serve(
    createServer(ownerOnly('s3', options.credentials, s3rver.callback())),
    options.host,
    options.port,
  )
  return {
    ...emulator,
    setAside,
    onObjectCreated(listener) {
      s3rver.on('event', (event: {Records: S3rverRecord[]}) => {
        for (const record of event.Records) if (record.eventName.startsWith('ObjectCreated')) listener(record)
      })
    },
    async close() {
      await emulator.close()
      s3rver.logger.close()
    },
  }
}
