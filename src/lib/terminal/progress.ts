/**
 * Shows progress on stderr as a bar redrawn in place, on a terminal only: off a terminal, and when silent (--json,
 * --quiet), nothing. The outcomes themselves are the command's to print, once, when the work is done.
 */
export interface Progress {
  /** One more item done. */
  advance(): void
  /** Clears the bar; idempotent. */
  done(): void
}

const BAR_WIDTH = 24
const REDRAW_EVERY_MS = 80

export function createProgress(options: {
  total: number
  label: string
  silent: boolean
  stream?: NodeJS.WriteStream
}): Progress {
  const stream = options.stream ?? process.stderr
  if (options.silent || !stream.isTTY || options.total <= 1) return {advance() {}, done() {}}

  let count = 0
  let lastDraw = 0
  let shown = false
  const draw = () => {
    const filled = Math.round((count / options.total) * BAR_WIDTH)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
    stream.write(`\r${options.label} ${bar} ${count}/${options.total}`)
    shown = true
    lastDraw = Date.now()
  }
  return {
    advance() {
      count++
      if (count === options.total || Date.now() - lastDraw >= REDRAW_EVERY_MS) draw()
    },
    done() {
      if (shown) stream.write('\r\u001B[2K')
      shown = false
    },
  }
}
