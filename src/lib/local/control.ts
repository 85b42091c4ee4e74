import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {SweepResult} from '#processor/sweep.js'
import type {LocalControlAddress, LocalPipelineState} from './state.js'

/**
 * What other commands ask the running `local start` to do, so that it does it itself (through its dispatcher, between
 * its own writes) rather than have them work behind its back: sweep now, and rewrite its dead-letter file.
 */
export interface LocalControlHandlers {
  sweep(): Promise<SweepResult>
  /** Removes the dead-letter file's lines of these ids; answers the ids removed. */
  removeDeadLetters(ids: string[]): Promise<string[]>
}

export interface LocalControlServer {
  address: LocalControlAddress
  close(): Promise<void>
}

const PATHS = {sweep: '/sweep', removeDeadLetters: '/dead-letters/remove'} as const

/** Bodies are small (a list of ids): anything larger is not one of ours. */
const MAX_BODY_BYTES = 1024 * 1024

/**
 * HTTP on the loopback address, on a port of the system's choosing, with a random bearer token that only readers of the
 * state file know (the file is the user's alone): a Unix socket would do as well, but its path limit (about 100
 * bytes) is easily passed by a data directory.
 */
export async function startControlServer(handlers: LocalControlHandlers, host: string): Promise<LocalControlServer> {
  const token = randomBytes(32).toString('hex')
  const server = createServer((request, response) => {
    void answer(request, response).catch((error: Error) =>
      reply(response, error instanceof BadRequest ? error.status : 500, {error: error.message}),
    )
  })
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    if (!hasToken(request, token)) return reply(response, 401, {error: 'a token from the state file is required'})
    if (request.method === 'POST' && request.url === PATHS.sweep) return reply(response, 200, await handlers.sweep())
    if (request.method === 'POST' && request.url === PATHS.removeDeadLetters) {
      const ids = ((await readJson(request)) as {ids?: unknown} | null)?.ids
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
        return reply(response, 400, {error: 'ids must be a list of strings'})
      return reply(response, 200, await handlers.removeDeadLetters(ids))
    }
    reply(response, 404, {error: `no such request: ${request.method} ${request.url}`})
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const {port} = server.address() as AddressInfo
  return {
    address: {url: `http://${host}:${port}`, token},
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
}

/** Compared in constant time, as digests of equal length. */
function hasToken(request: IncomingMessage, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? ''
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(given), digest(token))
}

/** A request the client got wrong: answered with its status (400, 413), never as the server's failure (500). */
class BadRequest extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message)
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new BadRequest(413, `the request body is over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  } catch {
    throw new BadRequest(400, 'the request body is not JSON')
  }
}

/** Asks the running pipeline to sweep now, through its own dispatcher; answers what the sweep did. */
export const askToSweep = (state: LocalPipelineState): Promise<SweepResult> => ask(state, 'sweep', PATHS.sweep)

/** Asks the running pipeline to remove these lines from its dead-letter file; answers the ids removed. */
export const askToRemoveDeadLetters = (state: LocalPipelineState, ids: string[]): Promise<string[]> =>
  ask(state, 'remove dead letters', PATHS.removeDeadLetters, {ids})

async function ask<T>(state: LocalPipelineState, what: string, path: string, body: unknown = {}): Promise<T> {
  if (!state.control)
    throw new CliError('The local pipeline running now was started by an older EventPulse, which takes no requests.', {
      exitCode: ExitCode.Usage,
      code: 'LocalPipelineTooOld',
      hint: 'Stop it (Ctrl-C in its terminal) and start it again with `eventpulse local start`.',
    })
  let response: Response
  try {
    response = await fetch(`${state.control.url}${path}`, {
      method: 'POST',
      headers: {authorization: `Bearer ${state.control.token}`, 'content-type': 'application/json'},
      body: JSON.stringify(body),
    })
  } catch (error) {
    throw new CliError(`The local pipeline (pid ${state.pid}) did not answer at ${state.control.url}.`, {
      exitCode: ExitCode.Aws,
      code: 'LocalPipelineUnreachable',
      hint: 'Check it with `eventpulse local status`; start it again if it stopped.',
      cause: error,
    })
  }
  const answer = (await response.json().catch(() => ({}))) as T & {error?: string}
  if (!response.ok)
    throw new CliError(`The local pipeline could not ${what}: ${answer.error ?? response.statusText}`, {
      exitCode: ExitCode.Aws,
      code: 'LocalPipelineRequestFailed',
      hint: 'Its terminal (or pipeline.log in its data directory) may tell more.',
    })
  return answer
}
