import {Args, Flags} from '@oclif/core'

import {pipelineFlags} from '#cli/pipeline-flags.js'
import {mapConcurrently} from '#core/concurrency.js'
import {PipelineCommand} from '#cli/pipeline-command.js'
import {resolveTarget} from '#target/resolve-target.js'
import {usageError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {commonFlags} from '#cli/common-flags.js'
import {
  asSeenByFile,
  type KeyStatus,
  keyHistory,
  packedQuarantineStatus,
  packedRecordStatus,
} from '#status/key-status.js'
import {readInput} from '#files/input-files.js'
import {isBatchName} from '#contract/batch-names.js'
import {DEFAULT_STUCK_AFTER_SECONDS} from '#contract/pipeline-contract.js'
import {parseDuration} from '#core/duration.js'
import {findStuck, type StuckObject} from '#status/stuck.js'
import {historyLines, outcomeLine} from '#status/status-lines.js'
import {keysFromArguments} from '#status/keys-from-arguments.js'
import {targetArguments} from '#aws/target-flags.js'

type StatusResult = {keys: KeyStatus[]} | {olderThanSeconds: number; stuck: StuckObject[]}

export default class Status extends PipelineCommand {
  static summary = 'Where uploads are: in flight, stored, unchanged, or quarantined (and why).'

  static description = `Looks an upload up by its key alone (no ArtistID/ItemID needed). A file or
directory argument stands for the keys \`upload\` gives those files (use the
same --prefix); anything else is taken as a key. A file packed by
\`upload --batch\` has no key of its own: its record, found stored exactly so
or in quarantine, names the batch object and line it went in. A file whose key holds another
record (another folder of the same layout was uploaded without its own
--prefix) is said so, and counts as not found.
A key uploaded more than once shows its history, newest first: every upload (by
ETag) and what became of it, the newest marked current. The first line, and the
exit code, follow the current one.
--stuck lists objects that have sat in the processing bucket longer than
--older-than (default: the stack's StuckAfterSeconds output, else 15m).
Exit codes: 0 all stored, unchanged or in flight; 1 some quarantined, not
found, or holding another file's record (with --stuck: some stuck).`

  static examples = [
    {description: 'One key', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'The files of a directory, uploaded with a prefix',
      command: '<%= config.bin %> <%= command.id %> catalog/ --prefix 2024/06',
    },
    {
      description: 'Objects waiting for more than an hour',
      command: '<%= config.bin %> <%= command.id %> --stuck --older-than 1h',
    },
  ]

  static strict = false

  static args = {
    keys: Args.string({description: 'Object keys, or files/directories standing for the keys upload gives them.'}),
  }

  static flags = {
    ...pipelineFlags('processingBucket', 'quarantineBucket', 'table', 'outcomesTable', 'historyTable'),
    prefix: Flags.string({description: 'The --prefix the files were uploaded with (for file arguments).'}),
    stuck: Flags.boolean({description: 'List objects stuck in the processing bucket instead.'}),
    'older-than': Flags.string({
      description: 'With --stuck: how long counts as stuck (e.g. 15m, 2h).',
      dependsOn: ['stuck'],
    }),
    concurrency: commonFlags.concurrency,
    quiet: commonFlags.quiet,
  }

  async run(): Promise<StatusResult> {
    const {argv, flags} = await this.parse(Status)
    const args = argv as string[]
    if (flags.stuck && args.length > 0) throw usageError('--stuck takes no keys.')
    if (!flags.stuck && args.length === 0) throw usageError('Name the keys or files to look up, or pass --stuck.')
    const target = await resolveTarget(flags, {
      role: 'uploader',
      needs: flags.stuck ? ['processingBucket'] : ['processingBucket', 'quarantineBucket', 'table'],
      wants: flags.stuck ? [] : ['outcomesTable', 'historyTable'],
      concurrency: flags.concurrency,
    })

    if (flags.stuck) {
      const olderThanSeconds = flags['older-than']
        ? parseDuration(flags['older-than'], '--older-than')
        : (target.stuckAfterSeconds ?? DEFAULT_STUCK_AFTER_SECONDS)
      const stuck = await findStuck(target, olderThanSeconds)
      for (const object of stuck)
        this.log(`stuck  ${object.key}  (uploaded ${object.uploadedAt}, ${Math.round(object.ageSeconds / 60)} min ago)`)
      this.log(
        `${stuck.length} ${stuck.length === 1 ? 'object has' : 'objects have'} ` +
          `waited longer than ${olderThanSeconds} s.`,
      )
      if (stuck.length > 0) this.exitStatus = ExitCode.Negative
      return {olderThanSeconds, stuck}
    }

    const keys = await keysFromArguments(args, flags.prefix)
    const statuses = await mapConcurrently(keys, target.concurrency, async ({key, file}) => {
      const status = await keyHistory(target, key)
      // A single-record file's own record tells more than its key (a batch file, never read whole, is its key).
      if (!file?.absolutePath || isBatchName(file.relativePath)) return status
      const body = await readInput(file)
      // A file packed by `upload --batch` went as a line of a batch object: its record says where.
      const packed =
        status.state === 'not-found'
          ? ((await packedRecordStatus(target, key, body)) ?? (await packedQuarantineStatus(target, key, body)))
          : undefined
      return packed ?? asSeenByFile(status, body)
    })
    const problem = (status: KeyStatus) =>
      status.state === 'quarantined' ||
      status.state === 'not-found' ||
      status.otherRecordThan !== undefined ||
      (status.counts?.quarantined ?? 0) > 0
    for (const status of statuses)
      if (!flags.quiet || problem(status)) {
        this.log(outcomeLine(status, targetArguments(flags)))
        for (const line of historyLines(status, targetArguments(flags))) this.log(line)
      }
    if (statuses.some(problem)) this.exitStatus = ExitCode.Negative
    return {keys: statuses}
  }
}
