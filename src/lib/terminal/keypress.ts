import {emitKeypressEvents} from 'node:readline'

/** What pressing Ctrl-C gives while a single key is read (the terminal sends no SIGINT in raw mode). */
export const CTRL_C_KEY = 'ctrl-c'

/**
 * Reads one keypress from the terminal, without Enter: the key's character in lower case, or CTRL_C_KEY. Keys outside
 * `keys` are ignored. A Ctrl-C that came as SIGINT (typed before the terminal was switched to raw mode) aborts
 * `signal`, which gives CTRL_C_KEY too. The terminal is back in its usual mode once it returns.
 */
export async function readKey(
  keys: readonly string[],
  signal: AbortSignal,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  if (signal.aborted) return CTRL_C_KEY
  emitKeypressEvents(stdin)
  stdin.setRawMode(true)
  stdin.resume()
  let onKeypress: (character: string | undefined, key: {name?: string; ctrl?: boolean} | undefined) => void
  let onAbort: () => void
  try {
    return await new Promise((resolve) => {
      onKeypress = (character, key) => {
        const pressed = key?.ctrl && key.name === 'c' ? CTRL_C_KEY : (character ?? '').toLowerCase()
        if (pressed === CTRL_C_KEY || keys.includes(pressed)) resolve(pressed)
      }
      onAbort = () => resolve(CTRL_C_KEY)
      stdin.on('keypress', onKeypress)
      signal.addEventListener('abort', onAbort)
    })
  } finally {
    stdin.off('keypress', onKeypress!)
    signal.removeEventListener('abort', onAbort!)
    stdin.setRawMode(false)
    stdin.pause()
  }
}
