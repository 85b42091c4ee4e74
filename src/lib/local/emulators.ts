import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {LOCAL_CREDENTIALS, LOCAL_ROLE_CREDENTIALS} from '#aws/credentials.js'
import {REPLACE_PREFIX} from '#contract/pipeline-contract.js'
import {makeStoreCrashSafe, repairS3Files, type SetAsideObject} from './s3-files.js'

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

/** dynalite (the DynamoDB API) with its LevelDB under `path`, so the table survives restarts. */
export async function startDynamoDb(options: {path: string; host: string; port: number}): Promise<Emulator> {
  makeDynaliteReturnItemOnConditionFailure()
  await mkdir(options.path, {recursive: true})
  const dynalite = require('dynalite')
  const server: Server = dynalite({path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})
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

function preconditionFailed(ctx: KoaContext, condition: string): void {
  ctx.status = 412
  if (ctx.method === 'HEAD') return
  ctx.type = 'application/xml'
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<Error><Code>PreconditionFailed</Code>` +
    `<Message>At least one of the pre-conditions you specified did not hold</Message>` +
    `<Condition>${condition}</Condition></Error>`
}

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

/** The access key id a request is signed with (header or presigned query), as S3 reads it. */
function signingKeyId(ctx: KoaContext): string | undefined {
  const credential = /Credential=([^/,\s]+)/.exec(header(ctx, 'authorization') ?? '')?.[1]
  return credential ?? (ctx.query['X-Amz-Credential'] as string | undefined)?.split('/')[0]
}

/**
 * What the stack's IAM policies and bucket policy do on AWS: a write under REPLACE_PREFIX in `bucket` is refused
 * (403 AccessDenied) unless it is signed with one of `allowedKeys` (LOCAL_ROLE_CREDENTIALS of the allowed roles).
 */
function s3ReplacementsOnlyFrom(bucket: string, allowedKeys: string[]) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    const target = objectTarget(ctx)
    const refused =
      ctx.method === 'PUT' &&
      target?.bucket === bucket &&
      target.key.startsWith(REPLACE_PREFIX) &&
      !allowedKeys.includes(signingKeyId(ctx) ?? '')
    if (!refused) return next()
    ctx.status = 403
    ctx.type = 'application/xml'
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>` +
      `<Message>Only the roles the pipeline allows may write under ${REPLACE_PREFIX}</Message></Error>`
  }
}

/**
 * s3rver (the S3 API) with its files under `directory`, the buckets created, its writes made crash-safe and what an
 * interrupted run left half-written set aside under `setAsideDirectory` (by default `damaged` beside `directory`;
 * see s3-files.ts).
 */
export async function startS3(options: {
  directory: string
  setAsideDirectory?: string
  host: string
  port: number
  buckets: string[]
  /** Who may write replacements (REPLACE_PREFIX) into which bucket: the access key ids of the allowed roles. */
  replacements?: {bucket: string; allowedKeys: string[]}
}): Promise<S3Emulator> {
  const {directory, setAsideDirectory = join(dirname(directory), 'damaged')} = options
  await mkdir(directory, {recursive: true})
  const setAside = await repairS3Files(directory, setAsideDirectory)
  const S3rver = require('s3rver')
  // s3rver checks signatures against its own account: let it know the keys local commands sign with.
  const account = require('s3rver/lib/models/account.js').DUMMY_ACCOUNT
  for (const keys of [LOCAL_CREDENTIALS, ...Object.values(LOCAL_ROLE_CREDENTIALS)])
    account.createKeyPair(keys.accessKeyId, keys.secretAccessKey)
  const s3rver = new S3rver({
    address: options.host,
    port: options.port,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({name})),
    // The copy-source decoding fix above rewrites a signed header; the keys are dummies on loopback anyway.
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  })
  s3rver.middleware.unshift(s3ConditionalRequests(), s3TagsOnWrite, s3TagsAsWritten)
  if (options.replacements)
    s3rver.middleware.unshift(s3ReplacementsOnlyFrom(options.replacements.bucket, options.replacements.allowedKeys))
  makeStoreCrashSafe(s3rver.store)
  await s3rver.configureBuckets()
  // Our own server rather than s3rver.run(), which leaves a busy port as an unhandled 'error' event.
  const emulator = await serve(createServer(s3rver.callback()), options.host, options.port)
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
