import {BaseCommand} from './base-command.js'
import {explainAwsError} from '#aws/explain-error.js'

/** Parent of the commands that act on the pipeline: AWS errors are explained before BaseCommand reports them. */
export abstract class PipelineCommand extends BaseCommand {
  protected async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    return super.catch(explainAwsError(err) as Error & {exitCode?: number})
  }
}
