/** Exit codes shared by every command (listed in the README). */
export const ExitCode = {
  /** Everything asked for succeeded. */
  Success: 0,
  /** A negative answer the user asked about: an invalid record, an upload quarantined, a key not in quarantine. */
  Negative: 1,
  /** Usage problems: bad flags, no such path, a confirmation needed where no terminal can give it. */
  Usage: 2,
  /** Credentials or permissions. */
  Credentials: 3,
  /** AWS or network failures. */
  Aws: 4,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
