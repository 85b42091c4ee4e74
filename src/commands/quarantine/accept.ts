import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resolveTarget, targetNotifier} from '#target/resolve-target.js'
import {CliError, usageError} from '#core/errors.js'
import {commonFlags} from '#cli/common-flags.js'
import {mapConcurrently} from '#core/concurrency.js'
import {interruptible} from '#core/interrupt.js'
import {actingAs} from '#aws/target.js'
import {targetArguments} from '#aws/target-flags.js'
import {acceptConflict, type AcceptPlan, applyAccept, planAccept} from '#quarantine/accept.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {listEntries, type ResolvedArgument, resolveEntryArguments} from '#quarantine/entries.js'
import {splitResolved} from '#quarantine/entry-lines.js'
import {entryArgumentDescription, entriesActionOptions, lineFlag} from '#cli/quarantine-flags.js'
import {ADMIN_ROLE_HELP, pipelineFlags} from '#cli/pipeline-flags.js'
import {changeLines} from '#record/changes.js'

/** A plan as --json shows it: what would change, from which version, or why it cannot. */
type ShownPlan = Omit<AcceptPlan, 'entry' | 'record' | 'stored'> & {key: string}

export default class QuarantineAccept extends PipelineCommand {
  static summary = "Store a duplicate entry's record as the item's new version, after asking."

  static description = `A duplicate entry is a record that differs from the item stored under its
ArtistID + ItemID. Accepting it makes that record the item's new version (the
one it replaces is kept in the history: \`items history\`), notifies \`replaced\`,
and deletes the entry (recoverable as \`quarantine rm\` leaves it). \`status\` of
the entry's source key then says \`replaced\`.
It lists each entry with its change, attribute by attribute, and asks; --yes
skips the question, --dry-run only shows. An entry is accepted only if the
stored item is still the version it was judged against: otherwise (the item
changed since, or is gone) it is refused as a conflict and kept.
--all accepts every duplicate entry (under --prefix).
Exit codes: 0 accepted; 1 a conflict (code Conflict), a key not in quarantine,
or you declined; 2 no confirmation possible; 4 a write failed; 130 Ctrl-C.
${ADMIN_ROLE_HELP}`

  static examples = [
    {
      description: 'Accept the duplicate of a key (shows the change, asks first)',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json',
    },
    {
      description: 'Accept line 7 of a batch without asking',
      command: '<%= config.bin %> <%= command.id %> catalog.ndjson --line 7 --yes',
    },
    {
      description: 'See what accepting every duplicate under a prefix would change',
      command: '<%= config.bin %> <%= command.id %> --all --prefix 2024/06/ --dry-run',
    },
  ]

  static strict = false

  static destructive = true

  static args = {keys: Args.string({description: entryArgumentDescription})}

  static flags = {
    ...pipelineFlags('quarantineBucket', 'table', 'historyTable', 'processingBucket', 'topicArn'),
    ...lineFlag,
    all: Flags.boolean({description: 'Accept every duplicate entry (under --prefix).'}),
    prefix: Flags.string({description: 'With --all: only source keys starting with this.', dependsOn: ['all']}),
    reason: Flags.string({
      description: 'With --all: the reason of the entries to accept (only duplicates can be accepted).',
      options: ['duplicate'],
      dependsOn: ['all'],
    }),
    concurrency: commonFlags.concurrency,
    yes: commonFlags.yes,
    'dry-run': commonFlags['dry-run'],
    quiet: commonFlags.quiet,
  }

  async run(): Promise<EntriesActionResult & {plans: ShownPlan[]}> {
    const {argv, flags} = await this.parse(QuarantineAccept)
    const keys = argv as string[]
    if (flags.all === keys.length > 0)
      throw usageError(
        flags.all ? 'Give either keys or --all, not both.' : 'Name the entries to accept, or give --all.',
        'eventpulse quarantine accept KEY... | --all [--prefix P]',
      )
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      // The topic: a replacement is announced as the pipeline announces its own (locally in its outbox).
      needs: ['quarantineBucket', 'table', 'historyTable', 'processingBucket', 'topicArn'],
      concurrency: flags.concurrency,
    })
    const resolved: ResolvedArgument[] = flags.all
      ? [
          {
            argument: flags.prefix ?? '(all)',
            entries: (await listEntries(target, {prefix: flags.prefix})).entries.filter(
              (entry) => entry.reason === 'duplicate',
            ),
          },
        ]
      : await resolveEntryArguments(target, keys, {line: flags.line})
    const {entries, missing} = splitResolved(resolved)
    const plans = await mapConcurrently(entries, target.concurrency, (entry) => planAccept(target, entry))
    const shown = plans.map(({entry, record: _record, stored: _stored, ...plan}) => ({key: entry.key, ...plan}))
    const say = (line: string) => this.logToStderr(line)
    const conflicts = plans.filter((plan) => plan.conflict)
    const ready = new Map(plans.filter((plan) => !plan.conflict).map((plan) => [plan.entry.key, plan]))
    const shownTarget = targetArguments(flags)
    // Why each entry cannot be accepted: seen while planning, or a race lost to another change while accepting.
    const refusals = new Map(
      conflicts.map((plan) => [plan.entry.key, acceptConflict(plan.entry, plan.conflict!, shownTarget)]),
    )
    // Nothing can be accepted: the refusal is the answer (exit 1, code Conflict), not a question.
    if (ready.size === 0 && conflicts.length > 0 && missing.length === 0) throw conflictError(refusals)
    for (const refusal of refusals.values()) say(refusal.message)
    if (flags.all && entries.length === 0) say(`No duplicate entries${flags.prefix ? ` under ${flags.prefix}` : ''}.`)
    const notifier = flags['dry-run'] || ready.size === 0 ? undefined : await targetNotifier(target)
    const context = {target, notifier: notifier!, by: actingAs(target, 'quarantineAdmin'), shownTarget}
    const result = await interruptible((signal) =>
      actOnEntries(
        target,
        [
          ...missing.map((argument) => ({argument, entries: []})),
          ...[...ready.values()].map((plan) => ({argument: plan.entry.key, entries: [plan.entry]})),
        ],
        {
          verb: 'accept',
          pastTense: 'accepted',
          caution: 'each replaces the stored item; its earlier version stays in the history',
          details: (entry) => changeLines(ready.get(entry.key)!.changes),
          async act(entry) {
            try {
              await applyAccept(context, ready.get(entry.key)!)
            } catch (error) {
              if (error instanceof CliError && error.code === 'Conflict') refusals.set(entry.key, error)
              throw error
            }
          },
        },
        entriesActionOptions(flags, signal, say),
      ),
    )
    result.failed.push(
      ...conflicts.map((plan) => ({key: plan.entry.key, message: plan.conflict!, conflict: true as const})),
    )
    // Every entry refused, each for a conflict: one answer (exit 1, code Conflict), whether the conflict was seen
    // before asking or as a race lost while accepting (two admins at once must not get two shapes of one refusal).
    const refusedAll = result.done.length === 0 && missing.length === 0 && !result.declined && !result.dryRun
    if (refusedAll && refusals.size > 0 && result.failed.every((failure) => refusals.has(failure.key)))
      throw conflictError(refusals)
    this.exitStatus = entriesActionExitStatus(result)
    return {...result, plans: shown}
  }
}

/** One Conflict error for the entries that cannot be accepted: the first one's, naming how many more there are. */
function conflictError(refusals: Map<string, CliError>): CliError {
  const [first, ...others] = refusals.values()
  if (others.length === 0) return first
  const more = `; and ${others.length} more (${[...refusals.keys()].slice(1).join(', ')}).`
  return new CliError(first.message.replace(/\.$/, more), {
    exitCode: first.exitCode,
    code: first.code,
    hint: first.hint,
  })
}
