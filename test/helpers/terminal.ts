/** Whether the prompt has a terminal to ask on (stdin and stderr both interactive, or neither). */
export function pretendTerminal(interactive: boolean): void {
  for (const stream of [process.stdin, process.stderr])
    Object.defineProperty(stream, 'isTTY', {value: interactive, configurable: true})
}

const real = {stdin: process.stdin.isTTY, stderr: process.stderr.isTTY}

/** stdin and stderr as they were when the test file started. */
export function restoreTerminal(): void {
  Object.defineProperty(process.stdin, 'isTTY', {value: real.stdin, configurable: true})
  Object.defineProperty(process.stderr, 'isTTY', {value: real.stderr, configurable: true})
}
