import {Args, Flags} from '@oclif/core'

import {PipelineCommand} from '#cli/pipeline-command.js'
import {resource} from '#aws/clients.js'
import {resolveTarget} from '#target/resolve-target.js'
import {usageError} from '#core/errors.js'
import {commonFlags} from '#cli/common-flags.js'
import {actOnEntries, type EntriesActionResult, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import {releaseEntry} from '#quarantine/actions.js'
import {type QuarantineEntry, resolveEntryArguments} from '#quarantine/entries.js'
import {entryArgumentDescription, entriesActionOptions, lineFlag} from '#cli/quarantine-flags.js'
import {ADMIN_ROLE_HELP, pipelineFlags} from '#cli/pipeline-flags.js'
import {splitResolved} from '#quarantine/entry-lines.js'
import {interruptedError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {interruptible} from '#core/interrupt.js'
import {parseDuration} from '#core/duration.js'
import {createProgress} from '#terminal/progress.js'
import {isSettled, type KeyStatus, recordsIn, waitForOutcomes} from '#status/key-status.js'
import {outcomeLine, waitTimedOutLine} from '#status/status-lines.js'
import {targetArguments} from '#aws/target-flags.js'

export default class QuarantineRelease extends PipelineCommand {
  static summary = 'Move quarantined objects back to the processing bucket, to be processed again.'

  static description = `For example after the conflicting item was removed from the table, or the schema
changed. Each entry goes back under its source key and, once written there,
leaves the quarantine.
Same confirmation rules as \`quarantine rm\`. A key quarantined more than once
must be released one entry at a time (they would share the one source key).
A batch object's record is released alone (--line N picks it among the batch's
entries): it goes back under the batch's key as a batch of one record.
--wait follows each released object to its outcome, as \`upload --wait\` does.
Exit codes: 0 released (and stored, with --wait); 1 a key was not in quarantine,
you declined, or (--wait) it was quarantined again; 4 a release failed or --wait
timed out; 130 Ctrl-C.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'Release a key (asks first)', command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json'},
    {
      description: 'Release one entry without asking',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json/q-0123456789abcdef --yes',
    },
    {
      description: 'Release a key and wait until it is stored (or quarantined again)',
      command: '<%= config.bin %> <%= command.id %> 2024/06/track-42.json --yes --wait',
    },
  ]

  static strict = false

  static destructive = true

  static args = {keys: Args.string({description: entryArgumentDescription, required: true})}

  static flags = {
    ...pipelineFlags('quarantineBucket', 'processingBucket', 'table', 'outcomesTable'),
    ...lineFlag,
    concurrency: commonFlags.concurrency,
    yes: commonFlags.yes,
    'dry-run': commonFlags['dry-run'],
    wait: Flags.boolean({description: 'Wait until each released object is stored or quarantined again.'}),
    timeout: Flags.string({description: 'How long --wait waits (e.g. 90s, 5m).', default: '5m'}),
    quiet: commonFlags.quiet,
  }

  async run(): Promise<EntriesActionResult & {outcomes?: KeyStatus[]}> {
    const {argv, flags} = await this.parse(QuarantineRelease)
    const timeoutMs = parseDuration(flags.timeout, '--timeout') * 1000
    const target = await resolveTarget(flags, {
      role: 'quarantineAdmin',
      needs: ['quarantineBucket', 'processingBucket', ...(flags.wait ? (['table'] as const) : [])],
      wants: flags.wait ? ['outcomesTable'] : [],
      concurrency: flags.concurrency,
    })
    const buckets = {quarantine: resource(target, 'quarantineBucket'), processing: resource(target, 'processingBucket')}
    const resolved = await resolveEntryArguments(target, argv as string[], {line: flags.line})
    const {entries} = splitResolved(resolved)
    const bySource = new Map<string, string[]>()
    for (const entry of entries) bySource.set(entry.sourceKey, [...(bySource.get(entry.sourceKey) ?? []), entry.key])
    const ambiguous = [...bySource].filter(([, keys]) => keys.length > 1)
    if (ambiguous.length > 0)
      throw usageError(
        `${ambiguous.map(([key]) => key).join(', ')} ${ambiguous.length === 1 ? 'has' : 'have'} ` +
          `several quarantine entries; release one at a time.`,
        `Name one entry: ${ambiguous.flatMap(([, keys]) => keys).join(', ')}`,
      )
    const released: {key: string; etag?: string}[] = []
    const release = async (entry: QuarantineEntry) => {
      released.push(await releaseEntry(target.s3, buckets, entry, targetArguments(flags)))
    }
    return interruptible(async (signal) => {
      const result = await actOnEntries(
        target,
        resolved,
        {verb: 'release', pastTense: 'released', act: release},
        entriesActionOptions(flags, signal, (line) => this.logToStderr(line)),
      )
      this.exitStatus = entriesActionExitStatus(result)
      if (!flags.wait || released.length === 0) return result

      const progress = createProgress({
        total: released.length,
        label: 'Processing',
        silent: this.jsonEnabled() || flags.quiet,
      })
      const waited = await waitForOutcomes(target, released, {timeoutMs, signal, onSettled: () => progress.advance()})
      progress.done()
      // A batch's line comes back as a batch of one: its outcome counts its record.
      const records = (state: 'stored' | 'unchanged' | 'quarantined') => recordsIn(waited.statuses, state)
      const inFlight = waited.statuses.filter((status) => !isSettled(status)).length
      const unchanged = records('unchanged') > 0 ? `, ${records('unchanged')} unchanged` : ''
      const summary = `${records('stored')} stored${unchanged}, ${records('quarantined')} quarantined again`
      if (signal.aborted)
        throw interruptedError(`${released.length} released; ${summary}, ${inFlight} not yet processed.`)
      for (const status of waited.statuses)
        if (!flags.quiet || status.state !== 'stored') this.log(outcomeLine(status, targetArguments(flags)))
      this.log(`${released.length} released: ${summary}${waited.timedOut ? `, ${inFlight} still in flight` : ''}.`)
      if (waited.timedOut)
        this.logToStderr(waitTimedOutLine(flags.timeout, [...released.map(({key}) => key), ...targetArguments(flags)]))
      if (waited.timedOut || result.failed.length > 0) this.exitStatus = ExitCode.Aws
      else if (records('quarantined') > 0) this.exitStatus = ExitCode.Negative
      return {...result, outcomes: waited.statuses}
    })
  }
}
