import {Command, Errors, toConfiguredId} from '@oclif/core'

import {CliError, toFailure} from '#core/errors.js'
import {localPipelineNote} from '#local/state.js'
import {ExitCode, type ExitCodeValue} from '#core/exit-codes.js'
import {failureDocument, failureText, successDocument, warningText} from './json-output.js'
import {quietAwsSdkNodeWarning} from './node-support-notice.js'
import {usageFailure} from './usage-errors.js'

/**
 * Every command's parent: `--json` prints exactly one document on stdout, `{status, result}` on success
 * (status 1 for a negative answer) and `{status, error}` on failure, and errors end with the README's exit codes.
 */
export abstract class BaseCommand extends Command {
  static enableJsonFlag = true

  /** Commands that never create an AWS SDK client (e.g. `validate`) skip the Node support notice. */
  static usesAws = true

  /** Why a command without --json (enableJsonFlag false) has none: said when --json is given to it. */
  static noJsonReason?: string

  /** Commands that delete or change what is deployed or stored: a "did you mean" for a typo never runs them. */
  static destructive = false

  /** Set by a command whose answer is negative (exit 1) although it ran fine. */
  protected exitStatus: ExitCodeValue = ExitCode.Success

  /** Warnings about the run as a whole (see warnOnce), for the --json document. */
  protected readonly warnings: string[] = []

  /** Warns once per run: a line on stderr, or with --json an entry of the document's `warnings`. */
  protected warnOnce(warning: string): void {
    if (this.warnings.includes(warning)) return
    this.warnings.push(warning)
    if (!this.jsonEnabled()) this.logToStderr(warningText(warning))
  }

  async init(): Promise<void> {
    quietAwsSdkNodeWarning(this.config.cacheDir, {notify: (this.constructor as typeof BaseCommand).usesAws})
    await super.init()
  }

  protected toSuccessJson(result: unknown): unknown {
    return successDocument(this.exitStatus, result, this.warnings)
  }

  protected async finally(err: Error | undefined): Promise<unknown> {
    if (!err && this.exitStatus !== ExitCode.Success) process.exitCode = this.exitStatus
    return super.finally(err)
  }

  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    const name = [this.config.bin, ...(this.id ? [toConfiguredId(this.id, this.config)] : [])].join(' ')
    const failure = toFailure(
      usageFailure(err, {
        name,
        noJsonReason: (this.ctor as typeof BaseCommand).noJsonReason,
        flags: [
          ...(this.ctor.enableJsonFlag ? ['json'] : []),
          ...Object.keys({...this.ctor.baseFlags, ...this.ctor.flags}),
        ],
      }) ?? withLocalPipelineNote(err),
    )
    if (this.jsonEnabled()) {
      this.logJson(failureDocument(failure, this.warnings))
    } else {
      this.logToStderr(failureText(failure))
      if (process.env.EVENTPULSE_DEBUG && err.stack) this.logToStderr(err.stack)
    }
    throw new Errors.ExitError(failure.exitCode)
  }
}

/** A missing region offers --local as the other way out: say whether a local pipeline is there to use. */
function withLocalPipelineNote(err: Error): Error {
  if (!(err instanceof CliError) || err.code !== 'NoRegion') return err
  const hint = `${err.hint} ${localPipelineNote()}`
  return new CliError(err.message, {exitCode: err.exitCode, code: err.code, hint, cause: err.cause})
}
