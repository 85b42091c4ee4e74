import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {DEFAULT_STUCK_AFTER_SECONDS, SWEEP_LIMITS} from '#contract/pipeline-contract.js'
import {formatDuration, parseDuration} from '#core/duration.js'
import {usageError} from '#core/errors.js'
import {deadLetterLine, notificationLine, outcomesSummary, setAsideLines, stateLines} from '#local/status-lines.js'
import {DROP_EVENTS_FOR_TESTS, type LocalPipelineStats, startLocalPipeline} from '#local/pipeline.js'
import type {SetAsideObject} from '#local/s3-files.js'
import {localDataRoot, type ShownState, shownState} from '#local/state.js'
import {catchProcessFailures, type ProcessFailures, untilStopped} from '#local/until-stopped.js'

export interface LocalStartResult {
  state: ShownState
  leftovers: number
  setAside: SetAsideObject[]
  stats: LocalPipelineStats
  stoppedBy: string
}

const port = (description: string, fallback: number) =>
  Flags.integer({description, default: fallback, min: 0, max: 65_535})

/** A duration flag such as 5m or 2s, parsed to seconds. */
const duration = (description: string, fallbackSeconds: number) =>
  Flags.custom<number>({
    description,
    default: fallbackSeconds,
    defaultHelp: async () => formatDuration(fallbackSeconds),
    async parse(input) {
      const seconds = parseDuration(input)
      if (seconds <= 0) throw usageError(`Not a positive duration: ${input}`, 'Write it like 2s, 5m or 1h.')
      return seconds
    },
  })()

export default class LocalStart extends BaseCommand {
  static summary = 'Run the whole pipeline on this machine, in the foreground, with no AWS account.'

  static description = `Starts DynamoDB and S3 stand-ins (dynalite, s3rver) on 127.0.0.1 with the table
and buckets, and runs the processor for every object created in the processing
bucket, exactly as the Lambda runs on AWS. Notifications are printed as they
happen and appended to the outbox; events whose handler keeps failing go to the
dead-letter file.
Data lives under the per-user data directory and survives restarts; objects left
in the processing bucket are processed again on start. After a crash, objects
whose writes never completed are moved to damaged/ in the data directory and
listed. If an emulator fails, the pipeline stops with exit code 4. Other
commands use it with --local. Stop it with Ctrl-C (or SIGTERM): within seconds,
a batch under way stops at its next record and the next start continues it; a
second Ctrl-C ends it at once, like a crash, and the next start takes over.
Like the deployed stack, it sweeps the processing bucket on a schedule
(--sweep-every) for objects whose event never came, and processes each one older
than --stuck-after.
Like the stack, only the quarantine-admin role may write replacements
(\`upload --replace\`); --uploader-may-replace lets the uploader role too, as the
deploy setting does. Locally the roles are told apart by which of the data
directory's random pairs of keys signed (one per role, see \`local env --role\`):
the same refusals as on AWS.
With --json, one summary document is printed when it stops; notifications then
go to stderr.`

  static examples = [
    {description: 'Start the local pipeline', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Then, in another terminal, upload to it',
      command: '<%= config.bin %> upload examples/valid/ --local',
    },
    {
      description: 'Let the system pick free ports',
      command: '<%= config.bin %> <%= command.id %> --s3-port 0 --dynamodb-port 0',
    },
  ]

  static flags = {
    's3-port': port('Port of the local S3 API (0 picks a free one).', 4568),
    'dynamodb-port': port('Port of the local DynamoDB API (0 picks a free one).', 4567),
    concurrency: commonFlags.concurrency,
    'sweep-every': duration(
      'How often to sweep the processing bucket for objects whose event never came, e.g. 5m, 30s.',
      SWEEP_LIMITS.defaultEverySeconds,
    ),
    'stuck-after': duration(
      'Age after which the sweep processes an object still waiting in the processing bucket, e.g. 15m, 2s.',
      DEFAULT_STUCK_AFTER_SECONDS,
    ),
    'uploader-may-replace': Flags.boolean({
      description: 'Let the uploader role write replacements (`upload --replace`) too, as the deploy setting does.',
    }),
  }

  async run(): Promise<LocalStartResult> {
    const {flags} = await this.parse(LocalStart)
    // With --json, stdout keeps the one summary document; oclif silences its loggers then, so write stderr directly.
    const toStderr = (line: string) => process.stderr.write(`${line}\n`)
    const say = this.jsonEnabled() ? toStderr : (line: string) => this.log(line)
    const processFailures = (this.processFailures = catchProcessFailures())
    const pipeline = await startLocalPipeline({
      dataDir: localDataRoot(),
      s3Port: flags['s3-port'],
      dynamodbPort: flags['dynamodb-port'],
      concurrency: flags.concurrency,
      sweepEverySeconds: flags['sweep-every'],
      stuckAfterSeconds: flags['stuck-after'],
      uploaderMayReplace: flags['uploader-may-replace'],
      // Canaries are `selftest`'s to report; it reads them from the outbox.
      onNotification: (notification) => notification.canary || say(notificationLine(notification)),
      // Tests only: lose every "Object Created" event, so that `selftest` can be seen to fail.
      dropEventRatio: process.env[DROP_EVENTS_FOR_TESTS] ? 1 : undefined,
      onDeadLetter: (record) => toStderr(deadLetterLine(record)),
    })
    for (const line of setAsideLines(pipeline.setAside, pipeline.layout.damagedDirectory)) toStderr(line)
    say(`EventPulse local pipeline running (pid ${process.pid}). Ctrl-C stops it.`)
    for (const line of stateLines(pipeline.state)) say(line)
    if (pipeline.leftovers > 0) say(`Processing ${pipeline.leftovers} object(s) left from the last run.`)

    // A failing emulator or an error nothing handled stops it too, with a message and exit 4 (the error thrown).
    const stoppedBy = await untilStopped([pipeline.failure, processFailures.failure]).finally(() => {
      toStderr('Stopping: letting the records under way finish (Ctrl-C again ends it at once)…')
      return pipeline.stop()
    })
    const stats = pipeline.stats()
    // The same counts as `local status` showed while it ran (a batch counts its records), not a second tally.
    say(`Stopped. Since start: ${outcomesSummary(pipeline.outcomes)}, ${stats.deadLettered} dead-lettered.`)
    return {
      state: shownState(pipeline.state),
      leftovers: pipeline.leftovers,
      setAside: pipeline.setAside,
      stats,
      stoppedBy,
    }
  }

  private processFailures?: ProcessFailures

  protected async finally(err: Error | undefined): Promise<unknown> {
    this.processFailures?.dispose()
    return super.finally(err)
  }
}
