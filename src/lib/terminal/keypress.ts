import {emitKeypressEvents} from 'node:readline'

/** What pressing Ctrl-C gives while a single key is read (the terminal sends no SIGINT in raw mode). */
export const CTRL_C_KEY = 'ctrl-c'

/**
 * Reads one keypress from the terminal, without Enter: the key's character in lower case, or CTRL_C_KEY. Keys outside
 * `keys` are ignored. The terminal is back in its usual mode once it returns.
 */
export async function readKey(keys: readonly string[], stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  emitKeypressEvents(stdin)
  stdin.setRawMode(true)
  stdin.resume()
  try {
    return await new Promise((resolve) => {
      const onKeypress = (character: string | undefined, key: {name?: string; ctrl?: boolean} | undefined) => {
        const pressed = key?.ctrl && key.name === 'c' ? CTRL_C_KEY : (character ?? '').toLowerCase()
        if (pressed !== CTRL_C_KEY && !keys.includes(pressed)) return
        stdin.off('keypress', onKeypress)
        resolve(pressed)
      }
      stdin.on('keypress', onKeypress)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
  }
}
