import {Agent as HttpAgent, createServer, type Server} from 'node:http'
import {Agent as HttpsAgent} from 'node:https'
import {connect, type AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bypassesProxy, createRequestHandler, proxySettingsFromEnv} from '#aws/http.js'
import {handlerOptions} from './request-handler.js'

describe('NO_PROXY matching', () => {
  it.each([
    ['s3.eu-west-1.amazonaws.com', ['amazonaws.com'], true],
    ['s3.eu-west-1.amazonaws.com', ['.amazonaws.com'], true],
    ['s3.eu-west-1.amazonaws.com', ['*.amazonaws.com'], true],
    ['notamazonaws.com', ['amazonaws.com'], false],
    ['minio.corp', ['minio.corp:9000'], true],
    ['minio.corp', ['minio.corp:9001'], false],
    ['anything.example', ['*'], true],
    ['localhost', [], true],
    ['127.0.0.1', [], true],
    ['sts.amazonaws.com', [], false],
  ])('%s with NO_PROXY=%j bypasses the proxy: %s', (host, noProxy, expected) => {
    expect(bypassesProxy(host, 9000, noProxy)).toBe(expected)
  })

  it.each([
    ['S3.EU-WEST-1.AMAZONAWS.COM', ['amazonaws.com'], true],
    ['amazonaws.com', ['*.amazonaws.com'], true],
    ['amazonaws.com', ['.amazonaws.com'], true],
    ['a.b.example', ['b.example'], true],
    ['b.example.org', ['b.example'], false],
    ['other.example', ['first.example', 'other.example'], true],
    ['LOCALHOST', [], true],
    ['::1', [], true],
    ['[::1]', [], true],
    ['127.0.0.2', [], false],
    ['minio.corp', ['minio.corp:9000', 'other.corp'], true],
  ])('%s with NO_PROXY=%j bypasses the proxy: %s', (host, noProxy, expected) => {
    expect(bypassesProxy(host, 9000, noProxy)).toBe(expected)
  })

  it('an IPv6 entry is not taken for a host and port', () => {
    expect(bypassesProxy('[fd00::abc]', 9000, ['[fd00::abc]'])).toBe(true)
    expect(bypassesProxy('[fd00::abc]', 9000, ['[fd00::abc]:9000'])).toBe(true)
  })

  // An IPv6 address whose last group is all digits is not a host "fd00:" and a port 10.
  it('an IPv6 entry ending in digits matches its address', () => {
    expect(bypassesProxy('fd00::10', 443, ['fd00::10'])).toBe(true)
    expect(bypassesProxy('fd00::10', 443, ['fd00:'])).toBe(false)
  })

  it('an entry with a port matches only that port', () => {
    expect(bypassesProxy('minio.corp', 9000, ['minio.corp:9000'])).toBe(true)
    expect(bypassesProxy('minio.corp', undefined, ['minio.corp:9000'])).toBe(false)
    expect(bypassesProxy('minio.corp', 443, ['minio.corp'])).toBe(true)
    expect(bypassesProxy('s3.minio.corp', 9000, ['.minio.corp:9000'])).toBe(true)
  })

  it('upper case wins; an empty variable counts as unset; entries are trimmed, lower-cased, empty ones dropped', () => {
    expect(
      proxySettingsFromEnv({
        HTTPS_PROXY: 'http://upper:3128',
        https_proxy: 'http://lower:3128',
        HTTP_PROXY: '',
        http_proxy: 'http://plain:8080',
        no_proxy: ' A.Example ,, *.B.example,',
      }),
    ).toEqual({httpsProxy: 'http://upper:3128', httpProxy: 'http://plain:8080', noProxy: ['a.example', '*.b.example']})
    expect(proxySettingsFromEnv({HTTPS_PROXY: '', NO_PROXY: ''})).toEqual({
      httpsProxy: undefined,
      httpProxy: undefined,
      noProxy: [],
    })
  })

  it('reads the variables in upper or lower case', () => {
    expect(proxySettingsFromEnv({https_proxy: 'http://proxy:3128', NO_PROXY: 'a.example, .b.example'})).toEqual({
      httpsProxy: 'http://proxy:3128',
      httpProxy: undefined,
      noProxy: ['a.example', '.b.example'],
    })
  })
})

describe('the agents a proxy setting makes', () => {
  type Chooser = {connect(request: unknown, target: {host?: string; port?: number}): HttpAgent}

  it('with HTTPS_PROXY, HTTPS goes to a keep-alive proxy agent (direct for NO_PROXY), plain HTTP direct', async () => {
    const handler = createRequestHandler({
      maxSockets: 3,
      proxy: {httpsProxy: 'http://proxy.example:3128', noProxy: ['internal.example']},
    })
    const {httpsAgent, httpAgent} = await handlerOptions(handler)
    expect(httpsAgent).not.toBeInstanceOf(HttpsAgent)
    const chooser = httpsAgent as unknown as Chooser
    const viaProxy = chooser.connect({}, {host: 's3.eu-west-1.amazonaws.com', port: 443})
    expect(viaProxy.constructor.name).toBe('HttpsProxyAgent')
    expect(viaProxy).toMatchObject({keepAlive: true, maxSockets: 3})
    expect((viaProxy as unknown as {proxy: URL}).proxy.host).toBe('proxy.example:3128')
    const direct = chooser.connect({}, {host: 'api.internal.example', port: 443})
    expect(direct).toBeInstanceOf(HttpsAgent)
    expect(direct).toMatchObject({keepAlive: true, maxSockets: 3})
    expect(chooser.connect({}, {port: 443})).toBe(viaProxy)
    expect(httpAgent).toBeInstanceOf(HttpAgent)
    expect(httpAgent.constructor.name).toBe('Agent')
    expect(httpAgent).toMatchObject({keepAlive: true, maxSockets: 3})
    handler.destroy()
  })

  it('with HTTP_PROXY only, HTTPS goes direct', async () => {
    const handler = createRequestHandler({maxSockets: 3, proxy: {httpProxy: 'http://proxy.example:3128', noProxy: []}})
    const {httpsAgent, httpAgent} = await handlerOptions(handler)
    expect(httpsAgent).toBeInstanceOf(HttpsAgent)
    const viaProxy = (httpAgent as unknown as Chooser).connect({}, {host: 'minio.example', port: 9000})
    expect(viaProxy.constructor.name).toBe('HttpsProxyAgent')
    handler.destroy()
  })
})

describe('requests through a proxy', () => {
  let target: Server
  let proxy: Server
  let targetPort: number
  let proxyUrl: string
  const tunnels: string[] = []

  beforeAll(async () => {
    target = createServer((request, response) => response.end(`reached ${request.url}`))
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    targetPort = (target.address() as AddressInfo).port
    // A CONNECT proxy that sends every tunnel to the target server, whatever host was asked for.
    proxy = createServer()
    proxy.on('connect', (request, client, head) => {
      tunnels.push(request.url!)
      const upstream = connect(targetPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  afterAll(() => {
    target.close()
    proxy.close()
  })

  const request = (hostname: string) => ({
    protocol: 'http:',
    hostname,
    port: targetPort,
    method: 'GET',
    path: '/bucket/key',
    headers: {host: hostname},
    query: {},
  })
  const get = (handler: ReturnType<typeof createRequestHandler>, hostname: string) =>
    handler.handle(request(hostname) as never)

  it('tunnels through HTTP_PROXY', async () => {
    tunnels.length = 0
    const handler = createRequestHandler({maxSockets: 2, proxy: {httpProxy: proxyUrl, noProxy: []}})
    const {response} = await get(handler, 's3.ep-proxy-test.example')
    expect(response.statusCode).toBe(200)
    expect(tunnels).toEqual([`s3.ep-proxy-test.example:${targetPort}`])
    handler.destroy()
  })

  it('tunnels HTTPS through HTTPS_PROXY, and plain HTTP not through it', async () => {
    tunnels.length = 0
    const handler = createRequestHandler({maxSockets: 2, proxy: {httpsProxy: proxyUrl, noProxy: []}})
    // The tunnel leads to a plain-HTTP server, so the TLS handshake inside it fails: the CONNECT is what counts.
    await expect(
      handler.handle({...request('s3.ep-proxy-test.example'), protocol: 'https:'} as never),
    ).rejects.toBeDefined()
    expect(tunnels).toEqual([`s3.ep-proxy-test.example:${targetPort}`])
    const {response} = await get(handler, '127.0.0.1')
    expect(response.statusCode).toBe(200)
    await expect(get(handler, 's3.ep-proxy-test.example')).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
    })
    expect(tunnels).toHaveLength(1)
    handler.destroy()
  })

  it('goes direct for NO_PROXY hosts and loopback', async () => {
    tunnels.length = 0
    const handler = createRequestHandler({
      maxSockets: 2,
      proxy: {httpProxy: proxyUrl, noProxy: ['ep-proxy-test.example']},
    })
    // Direct means resolving the made-up name ourselves, which fails: the proxy never saw it.
    await expect(get(handler, 's3.ep-proxy-test.example')).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
    })
    const {response} = await get(handler, '127.0.0.1')
    expect(response.statusCode).toBe(200)
    // An entry for the port the request goes to.
    const byPort = createRequestHandler({
      maxSockets: 2,
      proxy: {httpProxy: proxyUrl, noProxy: [`ep-proxy-test.example:${targetPort}`]},
    })
    await expect(get(byPort, 's3.ep-proxy-test.example')).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
    })
    expect(tunnels).toEqual([])
    handler.destroy()
    byPort.destroy()
  })
})
