import type {IIoHost, IoMessage, IoMessageLevel, IoRequest} from '@aws-cdk/toolkit-lib'

/** Answers a yes/no request of the toolkit (deploy security changes, rollback, destroy) from the user's decision. */
export type ApprovalAnswer = (request: {code?: string; message: string; data: unknown}) => Promise<boolean>

export interface CliIoHostOptions {
  answer: ApprovalAnswer
  /** Where progress goes: stderr, so that stdout holds only the result (and exactly one document with --json). */
  write?: (text: string) => void
  verbose?: boolean
}

const SHOWN_LEVELS: ReadonlySet<IoMessageLevel> = new Set(['error', 'result', 'warn', 'info'])

/**
 * Messages the CLI prints in its own words (outputs, the stack ARN), or that would drown the progress
 * (the synthesized template itself).
 */
const OWN_WORDS: ReadonlySet<string> = new Set(['CDK_TOOLKIT_I1901', 'CDK_TOOLKIT_I1902', 'CDK_TOOLKIT_I5901'])

/** Timing lines ("Synthesis time: 3.44s"): their data carries the duration. Shown with --verbose only. */
const isTiming = (msg: IoMessage<unknown>) => typeof (msg.data as {duration?: unknown})?.duration === 'number'

/**
 * An error the toolkit reports and then throws (its data carries the error): the CLI prints the thrown error, once.
 * Shown with --verbose only.
 */
const isErrorAboutToBeThrown = (msg: IoMessage<unknown>) =>
  msg.level === 'error' && (msg.data as {error?: unknown})?.error instanceof Error

/**
 * The toolkit's I/O for the CLI: progress on stderr, and every yes/no request answered by the user's own
 * confirmation, never by the toolkit's default (which is "yes" for a host that cannot ask).
 */
export class CliIoHost implements IIoHost {
  private readonly write: (text: string) => void

  constructor(private readonly options: CliIoHostOptions) {
    this.write = options.write ?? ((text) => process.stderr.write(text))
  }

  async notify(msg: IoMessage<unknown>): Promise<void> {
    const shown = this.options.verbose
      ? msg.level !== 'trace'
      : SHOWN_LEVELS.has(msg.level) && !isTiming(msg) && !isErrorAboutToBeThrown(msg)
    if (!shown || (msg.code && OWN_WORDS.has(msg.code)) || !msg.message.trim()) return
    this.write(msg.message.endsWith('\n') ? msg.message : `${msg.message}\n`)
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    if (typeof msg.defaultResponse === 'boolean')
      return (await this.options.answer({code: msg.code, message: msg.message, data: msg.data})) as T
    // Not an approval (e.g. how many assets to delete at once): the toolkit's suggestion is the answer.
    await this.notify(msg)
    return msg.defaultResponse
  }
}
