import type {Notification, Notifier} from '#processor/notifier.js'

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const injectedError = (where: string) =>
  Object.assign(new Error(`injected fault (${where})`), {
    name: 'InternalError',
    $fault: 'server',
    $metadata: {httpStatusCode: 500},
  })

export interface FaultCounts {
  before: number
  after: number
  calls: number
}

/**
 * Makes a fraction of a client's calls fail with a retryable 500, inside the SDK's retries: half before the
 * request is sent, half after it took effect (the answer lost), which is what makes retries dangerous.
 */
export function injectFaults(
  // Method syntax: any SDK client's middleware stack fits, whatever its input and output types.
  client: {middlewareStack: {add(...args: unknown[]): void}},
  options: {rate: number; random: () => number; counts: FaultCounts},
): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{output: {Body?: {destroy?: () => void}}}>) => async (args: unknown) => {
      options.counts.calls++
      const roll = options.random()
      if (roll < options.rate / 2) {
        options.counts.before++
        throw injectedError('before the request')
      }
      const result = await next(args)
      if (roll < options.rate) {
        options.counts.after++
        result.output?.Body?.destroy?.()
        throw injectedError('after the request took effect')
      }
      return result
    },
    {step: 'deserialize', priority: 'high', name: 'faultInjection'},
  )
}

/** A notifier that fails like SNS sometimes does, before or after delivering. */
export function flakyNotifier(
  inner: Notifier,
  options: {rate: number; random: () => number; counts: FaultCounts},
): Notifier {
  return {
    async publish(notification: Notification) {
      options.counts.calls++
      const roll = options.random()
      if (roll < options.rate / 2) {
        options.counts.before++
        throw injectedError('before publishing')
      }
      await inner.publish(notification)
      if (roll < options.rate) {
        options.counts.after++
        throw injectedError('after publishing')
      }
    },
  }
}
