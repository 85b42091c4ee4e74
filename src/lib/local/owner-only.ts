import {createHash, createHmac, timingSafeEqual} from 'node:crypto'
import type {IncomingMessage, RequestListener, ServerResponse} from 'node:http'
import {Readable} from 'node:stream'

import type {LocalCredentials} from './credentials.js'

/** AWS refuses a request signed more than 15 minutes away from its own clock (RequestTimeTooSkewed). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000

/** DynamoDB's largest request (a BatchWriteItem) is 16 MB: anything longer is refused before it is held in memory. */
const MAX_DYNAMODB_BODY_BYTES = 16 * 1024 * 1024

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([\w-]+)\/([\w-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest()

/** RFC 3986 encoding, as SigV4 wants it in the canonical query. */
const escapeUri = (text: string): string =>
  encodeURIComponent(text).replaceAll(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function canonicalQuery(search: string): string {
  return search
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const equals = pair.indexOf('=')
      const [name, value] = equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)]
      return `${escapeUri(decodeURIComponent(name))}=${escapeUri(decodeURIComponent(value))}`
    })
    .sort()
    .join('&')
}

/**
 * Whether the request carries a valid AWS Signature Version 4 (Authorization header) made with these credentials, at
 * most 15 minutes old, signing its Host. The canonical request is rebuilt from the request as received: the path as
 * sent (S3 signs it so; DynamoDB's is `/`), the query, the signed headers and the payload hash (`x-amz-content-sha256`
 * for S3, the body's SHA-256 for DynamoDB). One HMAC chain per request. Presigned URLs (query-string signatures) are
 * not taken: nothing of EventPulse makes them.
 */
export function isSignedBy(
  request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  credentials: LocalCredentials,
  payloadHash: string | undefined,
  now = Date.now(),
): boolean {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''))
  const amzDate = request.headers['x-amz-date']
  if (!match || payloadHash === undefined || typeof amzDate !== 'string') return false
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'))
  if (accessKeyId !== credentials.accessKeyId || !amzDate.startsWith(day)) return false
  if (!(Math.abs(now - signedAt) <= MAX_CLOCK_SKEW_MS)) return false
  const names = signedHeaders.split(';')
  if (!names.includes('host')) return false
  const headerLines = []
  for (const name of names) {
    const value = request.headers[name]
    if (value === undefined) return false
    headerLines.push(`${name}:${String(value).trim().replaceAll(/\s+/g, ' ')}\n`)
  }
  const url = request.url ?? '/'
  const questionMark = url.indexOf('?')
  let query: string
  try {
    query = canonicalQuery(questionMark < 0 ? '' : url.slice(questionMark + 1))
  } catch {
    return false // a malformed %-escape
  }
  const canonicalRequest = [
    request.method,
    questionMark < 0 ? url : url.slice(0, questionMark),
    query,
    headerLines.join(''),
    signedHeaders,
    payloadHash,
  ].join('\n')
  const scope = `${day}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const signingKey = ['aws4_request', service, region, day]
    .reverse()
    .reduce<string | Buffer>((key, part) => hmac(key, part), `AWS4${credentials.secretAccessKey}`)
  const expected = hmac(signingKey, stringToSign)
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'))
}

/** Why a request is refused before it reaches the emulator, or undefined when it may go on to the signature check. */
function refusalOf(request: IncomingMessage, service: 's3' | 'dynamodb'): string | undefined {
  // A browser adds Origin to every cross-origin request and every POST: no local client of the pipeline sends one.
  if (request.headers.origin !== undefined) return 'requests from a web page (with an Origin header) are refused'
  // Against DNS rebinding: a page of evil.example resolved to 127.0.0.1 still sends Host: evil.example.
  const port = request.socket.localPort
  const host = String(request.headers.host ?? '').toLowerCase()
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
    return `only Host 127.0.0.1:${port} or localhost:${port} is answered`
  // s3rver parses POST uploads with busboy 0.3 / dicer, which one malformed body crashes (CVE-2022-24434).
  if (service === 's3' && /^multipart\/form-data\b/i.test(String(request.headers['content-type'] ?? '')))
    return 'POST uploads (multipart/form-data) are not supported: use PutObject'
  return undefined
}

function refuse(response: ServerResponse, service: 's3' | 'dynamodb', message: string): void {
  const body =
    service === 's3'
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`
      : JSON.stringify({__type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message})
  // The body, if any, is not read: the connection closes after the answer.
  response.writeHead(403, {
    'content-type': service === 's3' ? 'application/xml' : 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  })
  response.end(body)
}

const NOT_SIGNED = 'the request is not signed with the credentials of this local pipeline (see `eventpulse local env`)'

/** Whether the request is signed (isSignedBy) with one of these pairs: the one its access key id names. */
function isSignedByOneOf(
  request: IncomingMessage,
  credentials: LocalCredentials[],
  payloadHash: string | undefined,
): boolean {
  const accessKeyId = AUTHORIZATION.exec(String(request.headers.authorization ?? ''))?.[1]
  const pair = credentials.find((candidate) => candidate.accessKeyId === accessKeyId)
  return pair !== undefined && isSignedBy(request, pair, payloadHash)
}

/**
 * The emulator's request listener behind the owner's checks: no browser Origin, a loopback Host on the emulator's own
 * port, no multipart POST (S3), and a SigV4 signature with one of the pipeline's pairs of keys (its keyring). A refused
 * request gets 403 and never reaches the emulator. For DynamoDB the body is read first (its hash is signed), then
 * replayed.
 */
export function ownerOnly(
  service: 's3' | 'dynamodb',
  credentials: LocalCredentials[],
  listener: RequestListener,
): RequestListener {
  return (request, response) => {
    const refusal = refusalOf(request, service)
    if (refusal !== undefined) return refuse(response, service, refusal)
    if (service === 's3') {
      const payloadHash = request.headers['x-amz-content-sha256']
      if (!isSignedByOneOf(request, credentials, typeof payloadHash === 'string' ? payloadHash : undefined))
        return refuse(response, service, NOT_SIGNED)
      return listener(request, response)
    }
    readBody(request).then(
      (body) => {
        if (body === undefined) return refuse(response, service, 'the request is too long')
        if (!isSignedByOneOf(request, credentials, sha256(body))) return refuse(response, service, NOT_SIGNED)
        const replay = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
          headers: request.headers,
          method: request.method,
          url: request.url,
          socket: request.socket,
        })
        listener(replay as unknown as IncomingMessage, response)
      },
      // The client went away mid-request: nobody to answer.
      () => response.destroy(),
    )
  }
}

/** The whole body, or undefined past MAX_DYNAMODB_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length
    if (length > MAX_DYNAMODB_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
