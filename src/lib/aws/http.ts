import {Agent as HttpAgent, type ClientRequest} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'

import {NodeHttpHandler} from '@smithy/node-http-handler'
import {Agent as DelegatingAgent} from 'agent-base'
import {HttpsProxyAgent} from 'https-proxy-agent'

/** Proxy settings as the usual environment variables give them (upper or lower case, as curl and the AWS CLI read them). */
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
    const [pattern, entryPort] = entry.split(/:(?=\d+$)/)
    if (entryPort !== undefined && Number(entryPort) !== port) return false
    const domain = pattern.replace(/^\*?\./, '')
    return name === domain || name.endsWith(`.${domain}`)
  })
}

/** Hands each connection to the proxy agent, or to the direct agent for NO_PROXY hosts (agent-base delegates to either). */
class ProxyChoosingAgent extends DelegatingAgent {
  constructor(
    private readonly viaProxy: HttpAgent,
    private readonly direct: HttpAgent,
    private readonly noProxy: string[],
  ) {
    super()
  }

  connect(_request: ClientRequest, options: {host?: string; port?: number}): HttpAgent {
    return bypassesProxy(options.host ?? '', options.port, this.noProxy) ? this.direct : this.viaProxy
  }
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
      ? new ProxyChoosingAgent(new HttpsProxyAgent(proxy.httpsProxy, agentOptions), directHttps, proxy.noProxy)
      : directHttps,
    httpAgent: proxy.httpProxy
      ? new ProxyChoosingAgent(new HttpsProxyAgent(proxy.httpProxy, agentOptions), directHttp, proxy.noProxy)
      : directHttp,
    connectionTimeout: 10_000,
  })
}
