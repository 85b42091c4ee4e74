/**
 * Reports progress on stderr: a bar redrawn in place on a terminal, one plain line per step otherwise, nothing with
 * --json.
 */
export interface Progress {
  /** One more item done; `line` is what a non-terminal sees for it. */
  advance(line: string): void
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
  if (options.silent) return {advance() {}, done() {}}
  if (!stream.isTTY || options.total <= 1) return {advance: (line) => stream.write(`${line}\n`), done() {}}

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
