import type {Agent as HttpAgent} from 'node:http'
import type {Agent as HttpsAgent} from 'node:https'

import type {NodeHttpHandler} from '@smithy/node-http-handler'

/** The agents and connection timeout a handler was made with: its internals, resolved here without a request. */
export async function handlerOptions(handler: NodeHttpHandler) {
  const config = await (
    handler as unknown as {
      configProvider: Promise<{
        httpAgentProvider: () => Promise<HttpAgent>
        httpsAgent: HttpsAgent
        connectionTimeout: number
      }>
    }
  ).configProvider
  return {
    httpsAgent: config.httpsAgent,
    httpAgent: await config.httpAgentProvider(),
    connectionTimeout: config.connectionTimeout,
  }
}
