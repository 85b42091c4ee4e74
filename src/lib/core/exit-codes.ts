/** Exit codes shared by every command (listed in the README). */
export const ExitCode = {
  /** Everything asked for succeeded. */
  Success: 0,
  /**
   * A negative answer: an invalid record, an upload quarantined, a key not in quarantine — or the user declined at
   * a prompt (answered no, or typed a name that did not match), in every command alike.
   */
  Negative: 1,
  /** Usage problems: an unknown command or flag, a bad flag value, no such path, no terminal to confirm on. */
  Usage: 2,
  /** Credentials or permissions. */
  Credentials: 3,
  /** AWS or network failures. */
  Aws: 4,
  /** An error nobody foresaw: a bug in EventPulse, not something the user did. */
  Internal: 70,
  /**
   * Ctrl-C (128 + SIGINT, as shells report it): at a prompt, nothing was done; during long work, the work stopped
   * between steps and a one-line note says what was done.
   */
  Interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
