import {setTimeout as sleep} from 'node:timers/promises'

import {DeleteItemCommand, GetItemCommand, QueryCommand} from '@aws-sdk/client-dynamodb'
import {DeleteObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'

import {type PipelineTarget, resource, type ResourceName} from '#aws/clients.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {listObjects} from '#aws/list-objects.js'
import {ITEM_METADATA, SELFTEST_ARTIST_ID, SELFTEST_PREFIX, TABLE_KEY} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {unquoteEtag} from '#core/aws-responses.js'
import {toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {readLocalPipeline} from '#local/state.js'
import {purgeEntry} from '#quarantine/actions.js'
import type {QuarantineEntry} from '#quarantine/entries.js'
import {taggedEntriesOf} from '#quarantine/entries.js'
import {finishedBatch} from '#status/key-status.js'
import {resolveTarget} from '#target/resolve-target.js'
import type {Progress} from '#terminal/progress.js'
import {batchCountsHold, type Canary, canariesOf, newRunId, notificationProblem, storedItemIds} from './canaries.js'
import {type NotificationSource, outboxSource, queueSource} from './notification-sources.js'

/** One line of the report: what was proved (or not), how long it took, and where to look when it failed. */
export interface SelftestStep {
  step: string
  status: 'pass' | 'fail'
  ms: number
  detail: string
  /** The likely cause of a failure: the rule, the function, permissions, the topic. */
  cause?: string
}

export interface SelftestReport {
  ok: boolean
  runId: string
  target: string
  steps: SelftestStep[]
}

export interface SelftestOptions {
  target: PipelineTarget
  notifications: NotificationSource
  timeoutMs: number
  /** Progress on a terminal, given the number of things waited for. */
  progress?: (total: number) => Progress
  /** Between looks at the pipeline (default 1 s). */
  pollMs?: number
  runId?: string
}

/** What a canary came to: where it ended, or why it is not where it belongs; `unfinished` when it never ended. */
type End = {ok: true; detail: string} | {ok: false; detail: string; cause: string; unfinished?: true}

/** Time for the processor to remove the canaries it finished, before selftest removes what is left. */
const SETTLE_MS = 10_000

/**
 * Sends the canaries (canaries.ts), waits for each to end where it belongs and for its notification, then removes
 * everything they made: items, quarantine entries with their versions, outcome records, and any upload the pipeline
 * never took. AWS or network failures throw (exit 4); what the pipeline did wrong is a failed step in the report.
 */
export async function runSelftest(options: SelftestOptions): Promise<SelftestReport> {
  const {target} = options
  const runId = options.runId ?? newRunId()
  const canaries = canariesOf(runId)
  const deadline = Date.now() + options.timeoutMs
  // Each canary's end, and its notification.
  const progress = options.progress?.(canaries.length * 2)
  const steps: SelftestStep[] = []
  const timed = async (step: string, run: () => Promise<Omit<SelftestStep, 'step' | 'ms'>>) => {
    const started = Date.now()
    const result = await run()
    steps.push({step, ms: Date.now() - started, ...result})
  }
  let failure: unknown
  // A canary the pipeline never took: nothing to let settle before removing it.
  let unfinished = false
  try {
    const etags = new Map<string, string>()
    await timed('send', async () => {
      for (const canary of canaries) etags.set(canary.key, await put(target, canary))
      return {status: 'pass', detail: `${canaries.length} canaries under ${SELFTEST_PREFIX}${runId}/`}
    })
    const ends = await waitForEnds(options.target, canaries, etags, {deadline, progress, pollMs: options.pollMs})
    for (const [index, canary] of canaries.entries()) {
      const {end, ms} = ends[index]
      steps.push({
        step: canary.name,
        ms,
        status: end.ok ? 'pass' : 'fail',
        detail: end.detail,
        ...(end.ok ? {} : {cause: end.cause}),
      })
    }
    // A canary that never ended was never notified either: its step above says why.
    unfinished = ends.some(({end}) => !end.ok && end.unfinished)
    const ended = canaries.filter((_, index) => {
      const {end} = ends[index]
      return end.ok || !end.unfinished
    })
    steps.push(...(await waitForNotifications(options, ended, `${SELFTEST_PREFIX}${runId}/`, {deadline, progress})))
  } catch (error) {
    failure = error
  }
  progress?.done()
  await timed('clean up', () => cleanUp(target, canaries, runId, {failedAlready: failure !== undefined, unfinished}))
  if (failure !== undefined) throw failure
  return {ok: steps.every((step) => step.status === 'pass'), runId, target: target.label, steps}
}

async function put(target: PipelineTarget, canary: Canary): Promise<string> {
  const {ETag} = await target.s3.send(
    new PutObjectCommand({
      Bucket: resource(target, 'processingBucket'),
      Key: canary.key,
      Body: canary.body,
      ContentType: 'application/json',
      IfNoneMatch: '*',
    }),
  )
  return unquoteEtag(ETag ?? '')
}

/**
 * Polls every canary not yet ended until each has, or the time is up; then says why the others have not. Each end
 * comes with the time it took. Every second on AWS; every fifth of a second locally, where canaries end sooner.
 */
async function waitForEnds(
  target: PipelineTarget,
  canaries: Canary[],
  etags: Map<string, string>,
  {deadline, progress, pollMs = target.local ? 200 : 1000}: {deadline: number; progress?: Progress; pollMs?: number},
): Promise<{end: End; ms: number}[]> {
  const started = Date.now()
  const ends: ({end: End; ms: number} | undefined)[] = canaries.map(() => undefined)
  for (;;) {
    for (const [index, canary] of canaries.entries()) {
      if (ends[index]) continue
      const end = await endOf(target, canary, etags.get(canary.key)!)
      if (!end) continue
      ends[index] = {end, ms: Date.now() - started}
      progress?.advance()
    }
    if (ends.every(Boolean) || Date.now() >= deadline) break
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())))
  }
  return Promise.all(
    ends.map(
      async (ended, index) => ended ?? {end: await whyUnfinished(target, canaries[index]), ms: Date.now() - started},
    ),
  )
}

/** Where the canary ended, once it has: undefined while there is no sign of it yet. */
async function endOf(target: PipelineTarget, canary: Canary, etag: string): Promise<End | undefined> {
  const {end} = canary
  if (end.kind === 'batch') {
    const done = await finishedBatch(target, canary.key, etag)
    if (!done) return undefined
    const counts = done.counts
    return batchCountsHold(end, counts)
      ? {ok: true, detail: `${end.stored} stored, ${end.quarantined} quarantined (${end.reason})`}
      : {
          ok: false,
          detail: `${counts?.stored} stored, ${counts?.quarantined} quarantined, not ${end.stored} and ${end.quarantined}`,
          cause: CHECKS_DIFFER,
        }
  }
  const entry = (await taggedEntriesOf(target, canary.key)).find((found) => found.sourceEtag === etag)
  if (end.kind === 'quarantined') {
    if (!entry) return undefined
    return entry.reason === end.reason
      ? {ok: true, detail: `quarantined (${entry.reason})`}
      : {ok: false, detail: `quarantined as ${entry.reason}, not ${end.reason}`, cause: CHECKS_DIFFER}
  }
  if (entry) return {ok: false, detail: `quarantined (${entry.reason}) instead of stored`, cause: CHECKS_DIFFER}
  const {Item: item} = await target.dynamodb!.send(
    new GetItemCommand({
      TableName: resource(target, 'table'),
      Key: {[TABLE_KEY.partition]: {S: SELFTEST_ARTIST_ID}, [TABLE_KEY.sort]: {S: end.itemId}},
      ConsistentRead: true,
    }),
  )
  if (item?.[ITEM_METADATA.sourceEtag]?.S !== etag) return undefined
  return {ok: true, detail: `stored as ${SELFTEST_ARTIST_ID} / ${end.itemId}`}
}

const CHECKS_DIFFER =
  'the processor checks records unlike this CLI (another version or schema): `eventpulse doctor` compares them'

/** Why a canary has not ended in time: never taken from the processing bucket, or taken and lost. */
async function whyUnfinished(target: PipelineTarget, canary: Canary): Promise<End> {
  const waiting = await listObjects(target.s3, resource(target, 'processingBucket'), {prefix: canary.key}).next()
  if (waiting.value?.key === canary.key)
    return {
      ok: false,
      detail: 'still waiting in the processing bucket: the pipeline never finished it (nor notified it)',
      unfinished: true,
      cause: target.local
        ? 'the local processor: it did not process the upload (see `eventpulse local status` and its pipeline.log)'
        : "the EventBridge rule (no event reached the function), or the processor function (it fails at start-up, or may not write to the table, the quarantine bucket or the topic): see the function's logs and `eventpulse dead-letters list`",
    }
  return {
    ok: false,
    unfinished: true,
    detail: 'gone from the processing bucket, with no item, entry or outcome recorded',
    cause: "the processor's permissions on the table or the quarantine bucket, or another writer removing uploads",
  }
}

/** Waits for one notification per canary, and checks each. */
async function waitForNotifications(
  options: SelftestOptions,
  canaries: Canary[],
  prefix: string,
  {deadline, progress}: {deadline: number; progress?: Progress},
): Promise<SelftestStep[]> {
  const started = Date.now()
  const problems = new Map<string, string | undefined>()
  while (problems.size < canaries.length) {
    const left = deadline - Date.now()
    for (const received of await options.notifications.receive(prefix, Math.max(0, left))) {
      const canary = canaries.find((candidate) => candidate.key === received.notification.sourceKey)
      if (!canary || problems.has(canary.key)) continue
      problems.set(canary.key, notificationProblem(canary, received))
      progress?.advance()
    }
    if (left <= 0) break
  }
  return canaries.map((canary): SelftestStep => {
    const step = `${canary.name} notified`
    const ms = Date.now() - started
    if (!problems.has(canary.key))
      return {
        step,
        ms,
        status: 'fail',
        detail: `no notification in ${options.notifications.label}`,
        cause: options.target.local
          ? "the local pipeline's outbox (it could not append to it)"
          : 'the topic: the processor may not publish to it (or use its key), or the selftest queue is not subscribed',
      }
    const problem = problems.get(canary.key)
    return problem
      ? {step, ms, status: 'fail', detail: `the notification is wrong: ${problem}`, cause: 'the processor'}
      : {step, ms, status: 'pass', detail: `${canary.end.kind}, with the right attributes`}
  })
}

/**
 * Removes what the run made. An upload still waiting (the processor may be finishing it) is given a few seconds
 * first. A refusal is the stack's permissions at fault (a failed step); other errors are AWS's (they throw), unless
 * the run already failed with one.
 */
async function cleanUp(
  target: PipelineTarget,
  canaries: Canary[],
  runId: string,
  {failedAlready, unfinished}: {failedAlready: boolean; unfinished: boolean},
): Promise<Omit<SelftestStep, 'step' | 'ms'>> {
  const prefix = `${SELFTEST_PREFIX}${runId}/`
  try {
    const waiting = () => listAll(target, 'processingBucket', prefix)
    const settleBy = Date.now() + SETTLE_MS
    while (!failedAlready && !unfinished && (await waiting()).length > 0 && Date.now() < settleBy) await sleep(500)
    for (const key of await waiting())
      await target.s3.send(new DeleteObjectCommand({Bucket: resource(target, 'processingBucket'), Key: key}))
    const entries = await listAll(target, 'quarantineBucket', prefix)
    for (const key of entries)
      await purgeEntry(target.s3, resource(target, 'quarantineBucket'), {key} as QuarantineEntry)
    let items = 0
    for (const itemId of storedItemIds(canaries)) {
      const {Attributes: removed} = await target.dynamodb!.send(
        new DeleteItemCommand({
          TableName: resource(target, 'table'),
          Key: {[TABLE_KEY.partition]: {S: SELFTEST_ARTIST_ID}, [TABLE_KEY.sort]: {S: itemId}},
          ReturnValues: 'ALL_OLD',
        }),
      )
      if (removed) items++
    }
    const records = await removeOutcomeRecords(target, canaries)
    return {
      status: 'pass',
      detail: `removed ${items} items, ${entries.length} quarantine entries, ${records} outcome records`,
    }
  } catch (error) {
    const failure = toFailure(error)
    if (failure.exitCode === ExitCode.Credentials)
      return {
        status: 'fail',
        detail: `could not remove the canaries under ${prefix}: ${failure.message}`,
        cause: "permissions: the selftest role's canary-only delete rights (redeploy the stack with this version)",
      }
    if (failedAlready) return {status: 'fail', detail: `not finished: ${failure.message}`}
    throw error
  }
}

async function listAll(
  target: PipelineTarget,
  bucket: 'processingBucket' | 'quarantineBucket',
  prefix: string,
): Promise<string[]> {
  const keys: string[] = []
  for await (const object of listObjects(target.s3, resource(target, bucket), {prefix})) keys.push(object.key)
  return keys
}

/** The outcomes table's records of the canaries' keys (a batch's progress and counts). */
async function removeOutcomeRecords(target: PipelineTarget, canaries: Canary[]): Promise<number> {
  const table = resource(target, 'outcomesTable')
  const {partitionKey, sortKey} = OUTCOMES_TABLE
  let removed = 0
  for (const {key} of canaries) {
    const {Items = []} = await target.dynamodb!.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#key = :key',
        ExpressionAttributeNames: {'#key': partitionKey},
        ExpressionAttributeValues: {':key': {S: key}},
      }),
    )
    for (const record of Items) {
      await target.dynamodb!.send(
        new DeleteItemCommand({
          TableName: table,
          Key: {[partitionKey]: record[partitionKey], [sortKey]: record[sortKey]},
        }),
      )
      removed++
    }
  }
  return removed
}

/** What each step of the report is marked with, as `doctor` marks its checks. */
const MARK = {pass: 'ok  ', fail: 'FAIL'} as const

/** The report as text: one line per step with its time, a likely cause under each failure, and a verdict. */
export function selftestLines(report: SelftestReport): string[] {
  const lines = report.steps.flatMap(({status, step, detail, ms, cause}) => [
    `${MARK[status]}  ${step}: ${detail} (${(ms / 1000).toFixed(1)} s)`,
    ...(cause ? [`      likely cause: ${cause}`] : []),
  ])
  const failed = report.steps.filter((step) => step.status === 'fail').length
  return [
    ...lines,
    failed === 0
      ? `Selftest passed on ${report.target}: canaries stored, quarantined and notified as they should be, then removed.`
      : `Selftest failed on ${report.target}: ${failed} of ${report.steps.length} steps.`,
  ]
}

/** The resources selftest uses on a deployed stack (the selftest role may touch only canaries in them). */
export const SELFTEST_RESOURCES = [
  'processingBucket',
  'quarantineBucket',
  'table',
  'outcomesTable',
  'selftestQueueUrl',
] as const satisfies ResourceName[]

/** Where selftest runs, as the selftest role, and where it hears of its canaries: the outbox, or the stack's queue. */
export async function selftestTarget(
  flags: PipelineFlagValues,
): Promise<{target: PipelineTarget; notifications: NotificationSource}> {
  const target = await resolveTarget(flags, {role: 'selftest', needs: [...SELFTEST_RESOURCES], concurrency: 4})
  const notifications = flags.local
    ? outboxSource(readLocalPipeline().outboxFile)
    : queueSource(target.sqs!, resource(target, 'selftestQueueUrl'))
  return {target, notifications}
}
