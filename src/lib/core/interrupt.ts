import {ExitCode} from './exit-codes.js'

/**
 * Runs long work that Ctrl-C stops cleanly: the first SIGINT aborts `signal`, and the work starts nothing new, lets
 * the steps under way finish and returns, so that the caller can say what was done (and exit 130). A second Ctrl-C
 * exits at once.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(ExitCode.Interrupted)
    controller.abort()
    if (process.stderr.isTTY)
      process.stderr.write('\nStopping once the steps under way are done (Ctrl-C again: at once).\n')
  }
  process.on('SIGINT', onSigint)
  try {
    return await work(controller.signal)
  } finally {
    process.off('SIGINT', onSigint)
  }
}
