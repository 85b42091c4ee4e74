import type {PipelineTarget} from '#aws/clients.js'
import {actOnEntries, type EntriesAction, entriesActionExitStatus} from '#quarantine/act-on-entries.js'
import type {QuarantineEntry, ResolvedArgument} from '#quarantine/entries.js'

export const target = {label: 'test', region: 'us-east-1', resources: {}, concurrency: 2} as unknown as PipelineTarget

/** An entry of the key given, as entriesOf describes it. */
export const entry = (key: string, extra: Partial<QuarantineEntry> = {}): QuarantineEntry => {
  const slash = key.lastIndexOf('/')
  return {key, sourceKey: key.slice(0, slash), entryId: key.slice(slash + 1), size: 12, ...extra}
}

/** Runs actOnEntries, collecting what it says (stdout) and warns (stderr). */
export async function run(
  resolved: ResolvedArgument[],
  action: EntriesAction,
  options: {yes?: boolean; dryRun?: boolean; quiet?: boolean; signal?: AbortSignal} = {},
) {
  const said: string[] = []
  const warned: string[] = []
  const result = await actOnEntries(target, resolved, action, {
    yes: options.yes ?? false,
    dryRun: options.dryRun ?? false,
    quiet: options.quiet,
    signal: options.signal,
    say: (line) => said.push(line),
    warn: (line) => warned.push(line),
  })
  return {result, said, warned, exit: entriesActionExitStatus(result)}
}
