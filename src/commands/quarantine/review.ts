import {Chalk} from 'chalk'
import {Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget, targetNotifier} from '#target/resolve-target.js'
import {actingAs} from '#aws/target.js'
import {acceptConflict, applyAccept, planAccept} from '#quarantine/accept.js'
import type {Notifier} from '#processor/notifier.js'
import {targetArguments} from '#aws/target-flags.js'
import {QUARANTINE_REASONS, QUARANTINE_RETENTION_DAYS} from '#contract/pipeline-contract.js'
import {CliError, interruptedError, usageError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {interruptible} from '#core/interrupt.js'
import {commonFlags} from '#cli/common-flags.js'
import {ADMIN_ROLE_HELP, pipelineFlags} from '#cli/pipeline-flags.js'
import {deleteEntry, readEntryContent, releaseEntry} from '#quarantine/actions.js'
import {listEntries, newestFirst} from '#quarantine/entries.js'
import {releaseMended} from '#quarantine/mend.js'
import {review} from '#quarantine/review.js'
import {noOutcomes, type ReviewSummary, summaryLine} from '#quarantine/review-screen.js'
import {getItem} from '#items/read-items.js'
import {editText} from '#terminal/editor.js'
import {readKey} from '#terminal/keypress.js'

export default class QuarantineReview extends PipelineCommand {
  static summary = 'Walk the quarantine entries, newest first, acting on each with one key.'

  static description = `For each entry: its key, reason and age; the record, each problem pointed
at (line:column, highlighted on a colour terminal; plain with NO_COLOR); for
a duplicate, its change against the stored item, attribute by attribute.
Then one key, no Enter:
  e  edit the record in $VISUAL or $EDITOR; once saved it is checked: still
     invalid, the problems are shown and you may edit again; valid, it is
     released in place of the entry (as \`quarantine fix\` does)
  a  accept a duplicate (as \`quarantine accept\` does)
  r  release as it is
  d  delete (recoverable for ${QUARANTINE_RETENTION_DAYS} days, as \`quarantine rm\`)
  s  skip;  q  quit;  ?  help
It ends with what was done, counted per action. Without a terminal it exits
2: \`quarantine show\`, \`release\`, \`rm\`, \`fix\` and \`accept\` need none.
Exit codes: 0 done (or quit); 1 an action was refused (e.g. an accept whose
item changed); 2 no terminal; 4 an action failed; 130 Ctrl-C
(it stops once the step under way is done, and says what was done).
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Everything in quarantine, newest first', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Only the duplicates of one batch',
      command: '<%= config.bin %> <%= command.id %> --prefix catalog.ndjson/ --reason duplicate',
    },
    {description: 'With your editor', command: 'EDITOR=nano <%= config.bin %> <%= command.id %> --local'},
  ]

  static enableJsonFlag = false

  static noJsonReason = 'it is interactive; `quarantine list`, `show`, `release`, `rm`, `fix` and `accept` take --json'

  static destructive = true

  static flags = {
    ...pipelineFlags('quarantineBucket', 'processingBucket', 'table', 'historyTable', 'topicArn'),
    prefix: Flags.string({description: 'Only entries of source keys starting with this.'}),
    // Named in the description rather than as oclif `options`, whose list wraps at 80 columns into a lone word.
    reason: Flags.string({
      description: `Only entries quarantined for this reason: ${Object.keys(QUARANTINE_REASONS).join(', ')}.`,
      async parse(reason) {
        if (reason in QUARANTINE_REASONS) return reason
        throw usageError(
          `Not a quarantine reason: ${reason}`,
          `Use one of ${Object.keys(QUARANTINE_REASONS).join(', ')}.`,
        )
      },
    }),
    concurrency: commonFlags.concurrency,
  }

  async run(): Promise<ReviewSummary> {
    const {flags} = await this.parse(QuarantineReview)
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new CliError('quarantine review is interactive, and there is no terminal to review on.', {
        exitCode: ExitCode.Usage,
        code: 'NoTerminal',
        hint:
          'Run it in a terminal, or use the commands that need none: quarantine list, show KEY, ' +
          'release KEY, rm KEY, fix KEY --file FILE, accept KEY.',
      })
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      // The history table and the topic for accept, as \`quarantine accept\` needs them.
      needs: ['quarantineBucket', 'processingBucket', 'table', 'historyTable', 'topicArn'],
      concurrency: flags.concurrency,
    })
    const buckets = {quarantine: resource(target, 'quarantineBucket'), processing: resource(target, 'processingBucket')}
    const {entries: listed} = await listEntries(target, {prefix: flags.prefix})
    const entries = listed.filter((entry) => !flags.reason || entry.reason === flags.reason).sort(newestFirst)
    if (entries.length === 0) {
      const under = `${flags.prefix ? ` under ${flags.prefix}` : ''}${flags.reason ? ` for ${flags.reason}` : ''}`
      this.log(`Nothing in quarantine${under}.`)
      return {total: 0, reviewed: 0, counts: noOutcomes()}
    }
    let notifier: Notifier | undefined
    const style = new Chalk({level: process.env.NO_COLOR ? 0 : new Chalk().level})
    const summary = await interruptible((signal) =>
      review(entries, {
        read: (entry) => readEntryContent(target.s3, buckets.quarantine, entry),
        stored: async (item) => {
          const key = {artistId: (item.ArtistID as {S: string}).S, itemId: (item.ItemID as {S: string}).S}
          return (await getItem(target, key, {typed: true}))?.record
        },
        release: async (entry) => void (await releaseEntry(target.s3, buckets, entry, targetArguments(flags))),
        mend: async (entry, mended) =>
          void (await releaseMended(
            target.s3,
            buckets,
            entry,
            {file: 'the edited record', bytes: mended},
            targetArguments(flags),
          )),
        remove: (entry) => deleteEntry(target.s3, buckets.quarantine, entry),
        accept: async (entry) => {
          const plan = await planAccept(target, entry)
          if (plan.conflict) throw acceptConflict(entry, plan.conflict, targetArguments(flags))
          notifier ??= await targetNotifier(target)
          await applyAccept(
            {target, notifier, by: actingAs(target, 'quarantineAdmin'), shownTarget: targetArguments(flags)},
            plan,
          )
          return `Accepted: the stored item is replaced (its version ${plan.storedVersion} kept in the history); the entry is removed.`
        },
        readKey: (keys) => readKey(keys, signal),
        edit: editText,
        print: (line) => this.log(line),
        style,
        now: () => new Date(),
        signal,
        retentionDays: QUARANTINE_RETENTION_DAYS,
      }),
    )
    if (summary.stopped === 'interrupted') throw interruptedError(summaryLine(summary))
    this.log('')
    this.log(summaryLine(summary))
    if (summary.counts.failed > 0) this.exitStatus = ExitCode.Aws
    else if (summary.counts.refused > 0) this.exitStatus = ExitCode.Negative
    return summary
  }
}
