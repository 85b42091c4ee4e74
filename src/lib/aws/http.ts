import {Agent as HttpAgent, type ClientRequest} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'
import {createRequire} from 'node:module'

import {NodeHttpHandler} from '@smithy/node-http-handler'

// The proxy agents are loaded only when a proxy is configured (most runs have none, and start-up time matters).
const require = createRequire(import.meta.url)

/**
 * Proxy settings as the usual environment variables give them (upper or lower case, as curl and the AWS CLI read them).
 */
export interface ProxySettings {
  httpsProxy?: string
  httpProxy?: string
  noProxy: string[]
}

export function proxySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const pick = (name: string) => env[name.toUpperCase()] || env[name.toLowerCase()] || undefined
  const noProxy = (pick('no_proxy') ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
  return {httpsProxy: pick('https_proxy'), httpProxy: pick('http_proxy'), noProxy}
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/**
 * Whether a host is reached directly: NO_PROXY entries match the host or any domain below it
 * (`example.com`, `.example.com` and `*.example.com` alike, an optional `:port`), `*` matches all.
 * Loopback never goes through a proxy: the local pipeline and emulators run there.
 */
export function bypassesProxy(host: string, port: number | undefined, noProxy: string[]): boolean {
  const name = host.toLowerCase()
  if (LOOPBACK_HOSTS.has(name)) return true
  return noProxy.some((entry) => {
    if (entry === '*') return true
    // A port follows a name, an IPv4 address or a bracketed IPv6 one: in `fd00::10` the 10 is part of the address.
    const withPort = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry)
    const [pattern, entryPort] = withPort ? [withPort[1], withPort[2]] : [entry, undefined]
    if (entryPort !== undefined && Number(entryPort) !== port) return false
    const domain = pattern.replace(/^\*?\./, '')
    return name === domain || name.endsWith(`.${domain}`)
  })
}

/**
 * An agent that hands each connection to an agent tunnelling through the proxy, or to the direct agent for
 * NO_PROXY hosts (agent-base delegates to whichever agent connect() returns).
 */
function proxyChoosingAgent(
  proxy: string,
  direct: HttpAgent,
  noProxy: string[],
  options: {keepAlive: boolean; maxSockets: number},
): HttpAgent {
  const {Agent: DelegatingAgent} = require('agent-base') as typeof import('agent-base')
  const {HttpsProxyAgent} = require('https-proxy-agent') as typeof import('https-proxy-agent')
  const viaProxy = new HttpsProxyAgent(proxy, options)
  class ProxyChoosingAgent extends DelegatingAgent {
    connect(_request: ClientRequest, target: {host?: string; port?: number}): HttpAgent {
      return bypassesProxy(target.host ?? '', target.port, noProxy) ? direct : viaProxy
    }
  }
  return new ProxyChoosingAgent()
}

/**
 * The HTTP handler every AWS client uses: keep-alive sockets sized for the concurrency asked for,
 * and HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured as corporate networks need.
 */
export function createRequestHandler(options: {maxSockets: number; proxy?: ProxySettings}): NodeHttpHandler {
  const proxy = options.proxy ?? proxySettingsFromEnv()
  const agentOptions = {keepAlive: true, maxSockets: options.maxSockets}
  const directHttps = new HttpsAgent(agentOptions)
  const directHttp = new HttpAgent(agentOptions)
  return new NodeHttpHandler({
    httpsAgent: proxy.httpsProxy
      ? proxyChoosingAgent(proxy.httpsProxy, directHttps, proxy.noProxy, agentOptions)
      : directHttps,
    // CONNECT tunnels serve plain-HTTP endpoints (S3-compatible servers) as well.
    httpAgent: proxy.httpProxy
      ? proxyChoosingAgent(proxy.httpProxy, directHttp, proxy.noProxy, agentOptions)
      : directHttp,
    connectionTimeout: 10_000,
  })
}
