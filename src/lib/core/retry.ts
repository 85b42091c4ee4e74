import {setTimeout as sleep} from 'node:timers/promises'

import {isTransientError} from './aws-responses.js'

/**
 * Calls again after a transient failure (5xx, throttling, a dropped connection), waiting twice as long each time,
 * up to `attempts` calls in all; then, or on any other error, rejects with the last error.
 */
export async function retryTransient<T>(
  call: () => Promise<T>,
  {attempts = 4, delayMs = 200}: {attempts?: number; delayMs?: number} = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!isTransientError(error) || attempt >= attempts) throw error
      await sleep(delayMs * 2 ** (attempt - 1))
    }
  }
}
