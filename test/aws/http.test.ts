import {createServer, type Server} from 'node:http'
import {connect, type AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bypassesProxy, createRequestHandler, proxySettingsFromEnv} from '#aws/http.js'

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

  it('reads the variables in upper or lower case', () => {
    expect(proxySettingsFromEnv({https_proxy: 'http://proxy:3128', NO_PROXY: 'a.example, .b.example'})).toEqual({
      httpsProxy: 'http://proxy:3128',
      httpProxy: undefined,
      noProxy: ['a.example', '.b.example'],
    })
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

  const get = (handler: ReturnType<typeof createRequestHandler>, hostname: string) =>
    handler.handle({
      protocol: 'http:',
      hostname,
      port: targetPort,
      method: 'GET',
      path: '/bucket/key',
      headers: {host: hostname},
      query: {},
    } as never)

  it('tunnels through HTTP_PROXY', async () => {
    tunnels.length = 0
    const handler = createRequestHandler({maxSockets: 2, proxy: {httpProxy: proxyUrl, noProxy: []}})
    const {response} = await get(handler, 's3.ep-proxy-test.example')
    expect(response.statusCode).toBe(200)
    expect(tunnels).toEqual([`s3.ep-proxy-test.example:${targetPort}`])
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
    expect(tunnels).toEqual([])
    handler.destroy()
  })
})
