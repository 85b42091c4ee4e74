import {Args, Flags} from '@oclif/core'

import type {ResourceName} from '#aws/clients.js'
import {failureDocument, failureText} from '#cli/json-output.js'
import {pipelineFlags} from '#cli/pipeline-flags.js'
import {schemaDriftWarning} from '#cli/schema-drift.js'
import {PipelineCommand} from '#cli/pipeline-command.js'
import {actingAs, type PipelineRole} from '#aws/target.js'
import {resolveTarget} from '#target/resolve-target.js'
import {commonFlags} from '#cli/common-flags.js'
import {createProgress} from '#terminal/progress.js'
import {outcomeLine, waitTimedOutLine} from '#status/status-lines.js'
import {parseDuration} from '#core/duration.js'
import {shellCommand} from '#core/shell-words.js'
import {targetArguments} from '#aws/target-flags.js'
import {type Failure, interruptedError} from '#core/errors.js'
import {interruptible} from '#core/interrupt.js'
import {MAX_BATCH_RECORDS} from '#contract/limits.js'
import {REPLACE_PREFIX} from '#contract/pipeline-contract.js'
import {type Packing, packIntoBatches, removeBatchFiles} from '#upload/pack.js'
import {planUpload, requireStdinKey} from '#upload/plan.js'
import {sameKeyError, sameKeyPairs} from '#upload/same-key.js'
import {
  dryRun,
  invalidLines,
  keysUsedBeforeWarning,
  storedFromOtherKeysWarning,
  runUpload,
  sentAgainLine,
  summaryLine,
  type UploadResult,
  unchangedLine,
  uploadExitStatus,
  withPacking,
} from '#upload/run-upload.js'

export default class Upload extends PipelineCommand {
  static summary = 'Upload records into the pipeline, checking each first.'

  static description = `Each file is first checked exactly as the pipeline will check it; invalid files
are reported like \`validate\` does and not sent (--no-validate sends them
anyway).
Records the table already holds exactly so are reported unchanged and not sent
(looked up 100 at a time), and so are batch files already processed exactly so
(same key and content) or whose every record is stored. --force sends them
anyway: the very same file under the same key is the same upload and ends
stored again; under another key, or in other bytes, unchanged.
Two records of one upload with the same ArtistID + ItemID and different content
are refused, both named, and nothing is sent: which one the pipeline kept would
be chance (--no-validate sends them and lets it decide).
Keys: a file's path below the directory argument (a file argument: its name),
after --prefix. Keys that clash or could escape the prefix are refused before
anything is sent. Two folders with the same layout give the same keys, and
\`status\` then shows either one's records: upload each under its own --prefix.
A record whose ArtistID + ItemID the table holds in another version, stored
from an earlier upload of the same key, is sent with a warning (on stderr; in
\`warnings\` with --json) naming such keys and a --prefix to use instead.
An object still waiting in the processing bucket under the same key is not
replaced (S3 conditional write); if it holds the very same content, the file
counts as sent.
If the target fails part-way (the network drops, the local pipeline stops), the
upload stops and still reports every file: sent, unchanged, failed, not
attempted. To finish, run the same command again: nothing already stored is sent
twice.
Batch files (*.ndjson, *.jsonl, *.json.gz: one record per line, plain, typed or
DynamoDB export lines) go as one object each: the pipeline checks and stores
their records one by one, quarantines bad ones one entry per line, and sends one
notification per batch; --wait then counts records. --batch N packs
single-record files into batch objects of N records (batch-<digest>.ndjson
under the prefix; the result lists which object and line each file went to).
--replace sends records meant to replace what is stored under their ArtistID +
ItemID: they go under replace/ (before --prefix), where the pipeline stores a
new record, reports an identical one unchanged and makes a different one the
item's new version (replaced; the earlier one stays in \`items history\`). Only
the quarantine-admin role may write there, and the uploader role when the stack
is deployed with --uploader-may-replace (locally: \`local start
--uploader-may-replace\`); --replace acts as the quarantine admin unless --role
uploader.
Runs as the stack's uploader role. Exit codes: 0 all uploaded or unchanged (and
stored or unchanged, with --wait); 1 some invalid or quarantined; 2 usage; 3
credentials; 4 uploads failed or stopped, or --wait timed out; 130 Ctrl-C (it
stops after the files being sent).`

  static examples = [
    {description: 'Upload every *.json below a directory', command: '<%= config.bin %> <%= command.id %> catalog/'},
    {
      description: 'Upload under a prefix and wait for the outcomes',
      command: '<%= config.bin %> <%= command.id %> catalog/ --prefix 2024/06 --wait',
    },
    {
      description: 'See what would be sent',
      command: "<%= config.bin %> <%= command.id %> 'catalog/**/*.json' --dry-run",
    },
    {
      description: 'Upload to the local pipeline',
      command: '<%= config.bin %> <%= command.id %> examples/valid --local --wait',
    },
    {
      description: 'Finish an interrupted upload: run the same command again (stored records are not sent twice)',
      command: '<%= config.bin %> <%= command.id %> catalog/ --prefix 2024/06',
    },
    {
      description: 'Upload a catalog export as one batch',
      command: '<%= config.bin %> <%= command.id %> catalog.ndjson --wait',
    },
    {
      description: 'Pack a directory of records into batches of 1,000',
      command: '<%= config.bin %> <%= command.id %> catalog/ --batch 1000 --wait',
    },
    {
      description: 'Refresh a catalog: replace what changed, and count what was replaced',
      command: '<%= config.bin %> <%= command.id %> catalog.ndjson --replace --wait',
    },
    {
      description: 'Upload standard input',
      command: 'cat record.json | <%= config.bin %> <%= command.id %> - --stdin-key record.json',
    },
  ]

  static strict = false

  static args = {
    paths: Args.string({description: 'Files, directories (searched for *.json), globs, or - for standard input.'}),
  }

  static flags = {
    ...pipelineFlags('processingBucket', 'quarantineBucket', 'table', 'outcomesTable'),
    prefix: Flags.string({
      description: 'Key prefix to upload under (e.g. 2024/06/, or dir-E/ for a folder of the same layout as another).',
    }),
    'stdin-key': Flags.string({description: 'Key for the record read from standard input (-).'}),
    validate: Flags.boolean({
      description: 'Check each record before sending (default). --no-validate sends invalid records too.',
      allowNo: true,
      default: true,
    }),
    force: Flags.boolean({
      description: 'Send records and batch files even when they are already stored exactly so.',
    }),
    wait: Flags.boolean({description: 'Wait until each object is stored, unchanged or quarantined.'}),
    replace: Flags.boolean({
      description:
        "Replace what is stored under the records' ArtistID + ItemID instead of quarantining them as duplicates " +
        '(the earlier version is kept).',
    }),
    role: Flags.option({
      options: ['uploader', 'quarantine-admin'] as const,
      description: 'The stack role to act as (default: uploader; with --replace, quarantine-admin).',
    })(),
    batch: Flags.integer({
      description: 'Pack single-record files into batch objects of this many records (one notification each).',
      min: 1,
      max: MAX_BATCH_RECORDS,
    }),
    timeout: Flags.string({description: 'How long --wait waits (e.g. 90s, 5m).', default: '5m'}),
    concurrency: commonFlags.concurrency,
    'dry-run': commonFlags['dry-run'],
    quiet: commonFlags.quiet,
  }

  /** Set when the upload stopped part-way: --json then gives the error beside the per-file results. */
  private failure?: Failure

  /** The batch files of --batch, removed when the command ends, however it ends. */
  private packing?: Packing

  async run(): Promise<UploadResult> {
    const {argv, flags} = await this.parse(Upload)
    const paths = argv as string[]
    requireStdinKey(paths, flags['stdin-key'])
    const timeoutMs = parseDuration(flags.timeout, '--timeout') * 1000
    const prefix = flags.replace ? replacePrefix(flags.prefix) : flags.prefix
    const files = await planUpload(paths, {prefix, stdinKey: flags['stdin-key']})
    // Two versions of one record in one upload would race in the pipeline: refused before anything is sent.
    if (flags.validate) {
      const pairs = await sameKeyPairs(files)
      if (pairs.length > 0) throw sameKeyError(pairs)
    }
    const packing = flags.batch
      ? await packIntoBatches(files, flags.batch, {validate: flags.validate, prefix})
      : undefined
    this.packing = packing
    const planned = packing?.batches ?? files
    const silent = this.jsonEnabled() || flags.quiet
    // `eventpulse status` takes the same paths (standard input: its key), the prefix used (replace/ included) and target.
    const statusWords = [
      ...paths.map((path) => (path === '-' ? flags['stdin-key']! : path)),
      ...(prefix ? ['--prefix', prefix] : []),
      ...targetArguments(flags),
    ]

    if (flags['dry-run']) {
      const result = withPacking(await dryRun(planned, {validate: flags.validate}), packing)
      for (const line of invalidLines(result.files)) this.log(line)
      if (!flags.quiet)
        for (const file of result.files.filter((f) => f.status === 'would-upload'))
          this.log(`would upload ${file.file} as ${file.key}`)
      this.log(summaryLine(result))
      this.exitStatus = uploadExitStatus(result)
      return result
    }

    // The table for the look-up before sending, the outcomes table for it (batches already processed) and for --wait:
    // used where known (not on a bare S3 endpoint, nor, for the outcomes table, a stack deployed before it).
    const wants: ResourceName[] = []
    if (!flags.force) wants.push('table')
    if (!flags.force || flags.wait) wants.push('outcomesTable')
    const role = uploadRole(flags.role, flags.replace)
    const target = await resolveTarget(flags, {
      role,
      needs: flags.wait ? ['processingBucket', 'quarantineBucket', 'table'] : ['processingBucket'],
      wants,
      concurrency: flags.concurrency,
    })
    const drift = await schemaDriftWarning(target)
    if (drift) this.warnOnce(drift)
    const {result, interrupted} = await interruptible(async (signal) => ({
      result: withPacking(
        await runUpload(target, planned, {
          validate: flags.validate,
          force: flags.force,
          replace: flags.replace,
          requestedBy: actingAs(target, role),
          progress: createProgress({total: planned.length, label: 'Uploading', silent}),
          wait: flags.wait
            ? {timeoutMs, progress: (total) => createProgress({total, label: 'Processing', silent})}
            : undefined,
          signal,
        }),
        packing,
      ),
      interrupted: signal.aborted,
    }))
    if (interrupted) throw interruptedError(interruptedNote(result, planned.length), statusHint(statusWords))
    for (const warning of [keysUsedBeforeWarning(planned, result.files), storedFromOtherKeysWarning(result.files)])
      if (warning) this.warnOnce(warning)
    // Off a terminal there is no progress: these lines are the only report of each file, printed once, on stdout.
    for (const line of invalidLines(result.files)) this.log(line)
    for (const file of result.files.filter((f) => f.error))
      this.log(`not uploaded ${file.file} (${file.key}): ${file.error!.message}`)
    if (!flags.quiet)
      for (const batch of packing?.batches ?? []) this.log(`batch ${batch.key}: ${batch.file.displayPath}`)
    if (!flags.quiet)
      for (const file of result.files.filter((f) => f.status === 'unchanged'))
        this.log(unchangedLine(file, targetArguments(flags)))
    for (const file of result.files)
      if (file.outcome && !(flags.quiet && file.outcome.state === 'stored'))
        this.log(outcomeLine(file.outcome, targetArguments(flags)))
    for (const file of result.files.filter((f) => f.status === 'uploaded' && f.processedAt))
      this.log(sentAgainLine(file))
    this.log(summaryLine(result))
    if (result.timedOut) this.logToStderr(waitTimedOutLine(flags.timeout, statusWords))
    if (result.failure) this.logToStderr(failureText(result.failure))
    this.exitStatus = uploadExitStatus(result)
    this.failure = result.failure
    const {timedOut: _timedOut, failure: _failure, ...document} = result
    return document
  }

  protected toSuccessJson(result: unknown): unknown {
    return this.failure ? {...failureDocument(this.failure, this.warnings), result} : super.toSuccessJson(result)
  }

  protected async finally(err: Error | undefined): Promise<unknown> {
    if (this.packing) await removeBatchFiles(this.packing)
    return super.finally(err)
  }
}

/** Where to see what became of each file: `eventpulse status` and the words that follow it. */
const statusHint = (words: string[]) =>
  `See what became of each file with: ${shellCommand(['eventpulse', 'status', ...words])}`

/** With --replace the uploads go under REPLACE_PREFIX, --prefix below it. */
const replacePrefix = (prefix?: string): string =>
  prefix ? `${REPLACE_PREFIX}${prefix.replace(/^\/+/, '')}` : REPLACE_PREFIX

const uploadRole = (flag: 'uploader' | 'quarantine-admin' | undefined, replace: boolean): PipelineRole =>
  (flag ?? (replace ? 'quarantine-admin' : 'uploader')) === 'uploader' ? 'uploader' : 'quarantineAdmin'

/** What an upload stopped by Ctrl-C had done, in one line. */
function interruptedNote({summary}: UploadResult, total: number): string {
  if (summary.stored === undefined)
    return `${summary.uploaded} of ${total} files uploaded before it stopped; ${summary.notAttempted} not sent.`
  return (
    `all ${summary.uploaded} files uploaded; ${summary.stored} stored and ${summary.quarantined} quarantined so far, ` +
    `${summary.pending} not yet processed.`
  )
}
