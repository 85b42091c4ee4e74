import {setTimeout as delay} from 'node:timers/promises'

import {mapConcurrently} from '#core/concurrency.js'
import {type PipelineTarget, resource} from '#aws/clients.js'
import {isReplaceKey, ITEM_CHANGES, ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from '#contract/pipeline-contract.js'
import {HISTORY_TABLE, OUTCOMES_TABLE} from '#contract/table.js'
import {taggedEntriesOf, taggedEntry} from '#quarantine/entries.js'
import {findObject} from '#aws/list-objects.js'
import type {BatchCounts} from '#processor/results.js'
import {versionOf} from '#processor/versions.js'
import {isBatchName} from '#contract/batch-names.js'
import {checkRecord} from '#record/check-record.js'
import {packedRecord, packedRecordKey} from '#record/packed-line.js'
import {sameRecord} from '#record/same-record.js'

/**
 * Where an upload is: waiting in the processing bucket, stored in the table, stored as a replacement of a different
 * record (`replaced`), found already stored exactly so (`unchanged`), quarantined, a batch object done (its records
 * counted by outcome), or nowhere to be seen.
 */
export type UploadState = 'in-flight' | 'stored' | 'replaced' | 'unchanged' | 'quarantined' | 'batch' | 'not-found'

/** A stored item's key. */
export interface ItemKey {
  [TABLE_KEY.partition]: string
  [TABLE_KEY.sort]: string
}

/** One upload of a key and what became of it. */
export interface UploadOutcome {
  state: Exclude<UploadState, 'not-found'>
  /** When it entered that state: uploaded (in flight), ingested (stored), found unchanged, quarantined. */
  at?: string
  /** The upload's ETag (without quotes): with the key, what tells it apart from other uploads of the key. */
  etag?: string
  /** The stored item (stored), or the one the record matched (unchanged). */
  item?: ItemKey
  /** Which version of the item the upload made (stored, replaced). */
  version?: number
  reason?: string
  message?: string
  /** The quarantine entry (`quarantine show` takes it). */
  entry?: string
  /** A batch object: what became of its records (quarantined ones are entries under `<key>/`). */
  counts?: BatchCounts
}

/** What became of the latest upload of a key: the fields describe it; `history` (from `status`) has every upload. */
export interface KeyStatus {
  key: string
  state: UploadState
  at?: string
  item?: ItemKey
  version?: number
  reason?: string
  message?: string
  entry?: string
  counts?: BatchCounts
  /** Every upload of the key that left a trace, newest first: the first is the current one, described above. */
  history?: UploadOutcome[]
  /** A file `upload --batch` packed: the batch object and line its record was stored or quarantined from. */
  packedInto?: {key: string; line: number}
  /** A file whose key another upload used for another record (folders of one layout share keys): the file's record. */
  otherRecordThan?: ItemKey
}

/** The object waiting under the key in the processing bucket, if any: when it was uploaded and its ETag. */
export async function inFlight(target: PipelineTarget, key: string): Promise<UploadOutcome | undefined> {
  // By listing, not HEAD: the uploader may not read objects, not even its own still waiting.
  const waiting = await findObject(target.s3, resource(target, 'processingBucket'), key)
  return waiting && {state: 'in-flight', at: waiting.lastModified?.toISOString(), etag: waiting.etag}
}

function tableClient(target: PipelineTarget) {
  if (!target.dynamodb) throw new Error('keyStatus needs a target resolved with the table')
  return target.dynamodb
}

const itemKey = (item: Record<string, {S?: string}>): ItemKey => ({
  [TABLE_KEY.partition]: item[TABLE_KEY.partition]?.S ?? '',
  [TABLE_KEY.sort]: item[TABLE_KEY.sort]?.S ?? '',
})

async function storedItems(target: PipelineTarget, key: string): Promise<UploadOutcome[]> {
  const {QueryCommand} = await import('@aws-sdk/client-dynamodb')
  const response = await tableClient(target).send(
    new QueryCommand({
      TableName: resource(target, 'table'),
      IndexName: SOURCE_KEY_INDEX,
      KeyConditionExpression: '#source = :key',
      ExpressionAttributeNames: {'#source': ITEM_METADATA.sourceKey},
      ExpressionAttributeValues: {':key': {S: key}},
    }),
  )
  const current = await Promise.all(
    (response.Items ?? []).map(async (item) => {
      const {replaced, version} = await howStored(target, key, item)
      return {
        state: replaced ? ('replaced' as const) : ('stored' as const),
        at: item[ITEM_METADATA.ingestedAt]?.S,
        etag: item[ITEM_METADATA.sourceEtag]?.S,
        item: itemKey(item),
        version,
      }
    }),
  )
  if (!isReplaceKey(key)) return current
  // The current version may be kept too (by a replacement that then lost its race): it is listed once.
  const kept = await keptVersionsOf(target, key)
  return [...current, ...kept.filter((version) => !current.some((item) => item.etag === version.etag))]
}

/**
 * Uploads of a key under REPLACE_PREFIX whose version the item no longer is: replaced in turn by a later upload of the
 * same key (a refresh sent twice) or of another key (two refreshes racing for one item). The item no longer names
 * them; its history does, found by source key through the history's index. One Query, where the target knows the
 * history table.
 */
async function keptVersionsOf(target: PipelineTarget, key: string): Promise<UploadOutcome[]> {
  const table = target.resources.historyTable
  if (!table) return []
  const {paginateQuery} = await import('@aws-sdk/client-dynamodb')
  const outcomes: UploadOutcome[] = []
  const pages = paginateQuery(
    {client: tableClient(target)},
    {
      TableName: table,
      IndexName: HISTORY_TABLE.sourceKeyIndex.name,
      KeyConditionExpression: '#source = :key',
      ExpressionAttributeNames: {'#source': ITEM_METADATA.sourceKey},
      ExpressionAttributeValues: {':key': {S: key}},
    },
  )
  for await (const page of pages)
    for (const version of page.Items ?? [])
      outcomes.push({
        state: version[ITEM_METADATA.change]?.S === ITEM_CHANGES.replaced ? 'replaced' : 'stored',
        at: version[ITEM_METADATA.ingestedAt]?.S,
        etag: version[ITEM_METADATA.sourceEtag]?.S,
        item: itemKey(version),
        version: Number(version[HISTORY_TABLE.sortKey]?.N),
      })
  return outcomes
}

/**
 * How the upload's version of the item came, and which version it is. Replaced: an upload under REPLACE_PREFIX that
 * replaced (not stored new), or a quarantined duplicate of the key accepted (`quarantine accept`). The item says, and
 * the source-key index does not project it: one more read for a key with an item.
 */
async function howStored(
  target: PipelineTarget,
  key: string,
  indexed: Record<string, {S?: string}>,
): Promise<{replaced: boolean; version: number}> {
  const {GetItemCommand} = await import('@aws-sdk/client-dynamodb')
  const {Item} = await tableClient(target).send(
    new GetItemCommand({
      TableName: resource(target, 'table'),
      Key: {[TABLE_KEY.partition]: {S: itemKey(indexed).ArtistID}, [TABLE_KEY.sort]: {S: itemKey(indexed).ItemID}},
      ProjectionExpression: '#change, #version',
      ExpressionAttributeNames: {'#change': ITEM_METADATA.change, '#version': ITEM_METADATA.version},
    }),
  )
  const change = Item?.[ITEM_METADATA.change]?.S
  return {
    replaced: change === (isReplaceKey(key) ? ITEM_CHANGES.replaced : ITEM_CHANGES.accepted),
    version: versionOf(Item ?? {}),
  }
}

/**
 * Uploads of the key the pipeline found already stored exactly so, and batch objects done, from the outcomes table
 * (only the upload with `etag`, when given). A target that knows no outcomes table (a stack deployed before it) has
 * none to tell of.
 */
async function outcomesTableUploads(target: PipelineTarget, key: string, etag?: string): Promise<UploadOutcome[]> {
  const table = target.resources.outcomesTable
  if (!table) return []
  const {QueryCommand} = await import('@aws-sdk/client-dynamodb')
  const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
  const response = await tableClient(target).send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: etag ? '#key = :key AND #etag = :etag' : '#key = :key',
      ExpressionAttributeNames: {'#key': partitionKey, ...(etag ? {'#etag': sortKey} : {})},
      ExpressionAttributeValues: {':key': {S: key}, ...(etag ? {':etag': {S: etag}} : {})},
    }),
  )
  // The table also holds the sweep's records about objects it retried, and batches' checkpoints: not outcomes.
  return (response.Items ?? []).flatMap((record): UploadOutcome[] => {
    const described = {at: record[attributes.at]?.S, etag: record[sortKey]?.S}
    const outcome = record[attributes.outcome]?.S
    if (outcome === 'unchanged') return [{state: 'unchanged', ...described, item: itemKey(record)}]
    if (outcome === 'batch')
      return [{state: 'batch', ...described, counts: JSON.parse(record[attributes.counts]?.S ?? '{}')}]
    return []
  })
}

/**
 * The recorded outcome of a batch upload (key + ETag) the pipeline has finished: its counts and when; undefined when
 * it is not done (or the target knows no outcomes table). One Query, which the uploader may make.
 */
export async function finishedBatch(
  target: PipelineTarget,
  key: string,
  etag: string,
): Promise<UploadOutcome | undefined> {
  return (await outcomesTableUploads(target, key, etag)).find((outcome) => outcome.state === 'batch')
}

async function quarantined(target: PipelineTarget, key: string): Promise<UploadOutcome[]> {
  // The reason from the entry's tags: its message is in metadata only the admin reads (`quarantine show`).
  const entries = await taggedEntriesOf(target, key)
  return entries.map((entry) => ({
    state: 'quarantined' as const,
    at: entry.quarantinedAt,
    etag: entry.sourceEtag,
    reason: entry.reason,
    entry: entry.key,
  }))
}

const newestFirst = (a: {at?: string}, b: {at?: string}): number => (b.at ?? '').localeCompare(a.at ?? '')

/** Every recorded outcome of the key's uploads (of the one with `etag`, when given), newest first. */
async function recordedOutcomes(target: PipelineTarget, key: string, etag?: string): Promise<UploadOutcome[]> {
  // A batch's records are counted in its summary: its items and entries, one per record, are not listed here.
  const found = await Promise.all(
    isBatchName(key)
      ? [outcomesTableUploads(target, key, etag)]
      : [storedItems(target, key), outcomesTableUploads(target, key, etag), quarantined(target, key)],
  )
  return found
    .flat()
    .filter((outcome) => !etag || outcome.etag === etag)
    .sort(newestFirst)
}

/** The key's status as the given upload describes it (without its ETag, which the history alone shows). */
function statusOf(key: string, outcome: UploadOutcome | undefined): KeyStatus {
  if (!outcome) return {key, state: 'not-found'}
  const {etag: _etag, ...described} = outcome
  return {key, ...described}
}

/**
 * What became of the latest upload of a key (or of the upload with the given ETag), by key alone.
 * The processing bucket is looked at first: the pipeline records an outcome before it removes the object,
 * so an object gone from there already has its outcome recorded.
 */
export async function keyStatus(
  target: PipelineTarget,
  key: string,
  options: {etag?: string} = {},
): Promise<KeyStatus> {
  const waiting = await inFlight(target, key)
  if (waiting && (!options.etag || waiting.etag === options.etag)) return statusOf(key, waiting)
  return statusOf(key, (await recordedOutcomes(target, key, options.etag))[0])
}

/**
 * A key's whole history, newest first: the object waiting in the processing bucket (always the latest upload: a new
 * one can only be written once the last is processed), then every recorded outcome. The first is the current one.
 */
export async function keyHistory(target: PipelineTarget, key: string): Promise<KeyStatus> {
  const [waiting, recorded] = await Promise.all([inFlight(target, key), recordedOutcomes(target, key)])
  const history = waiting ? [waiting, ...recorded] : recorded
  return {...statusOf(key, history[0]), history}
}

/** States that end an upload: it will not change any more. */
export const isSettled = (status: KeyStatus): boolean =>
  status.state === 'stored' ||
  status.state === 'replaced' ||
  status.state === 'unchanged' ||
  status.state === 'quarantined' ||
  status.state === 'batch'

/** Records that came to `state`: an upload in that state counts one, a batch upload its records in that state. */
export const recordsIn = (statuses: KeyStatus[], state: 'stored' | 'replaced' | 'unchanged' | 'quarantined'): number =>
  statuses.filter((status) => status.state === state).length +
  statuses.reduce((sum, status) => sum + (status.counts?.[state] ?? 0), 0)

/** Waits `ms`, or less if `signal` is aborted meanwhile (its only way to fail). */
const sleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, {signal}).catch(() => undefined)

/**
 * Follows uploads until each is stored, unchanged or quarantined, or the time is up (those are returned as they last
 * stood). Polls gently: every half second at first (a tenth of a second for the local pipeline, which settles an upload
 * in about that), backing off to every 3 seconds. `onSettled` hears of each as it settles, so a caller keeps what was
 * learnt even if a later poll fails.
 */
export async function waitForOutcomes(
  target: PipelineTarget,
  uploads: {key: string; etag?: string}[],
  options: {timeoutMs: number; onSettled?: (status: KeyStatus, index: number) => void; signal?: AbortSignal},
): Promise<{statuses: KeyStatus[]; timedOut: boolean}> {
  const deadline = Date.now() + options.timeoutMs
  // Every one is looked at in the first round, before anything is returned.
  const statuses: KeyStatus[] = []
  let pending = uploads.map((_, index) => index)
  let interval = target.local ? 100 : 500
  for (;;) {
    const checked = await mapConcurrently(pending, target.concurrency, async (index) => {
      statuses[index] = await keyStatus(target, uploads[index].key, {etag: uploads[index].etag})
      return index
    })
    pending = checked.filter((index) => {
      const settled = isSettled(statuses[index])
      if (settled) options.onSettled?.(statuses[index], index)
      return !settled
    })
    // Ctrl-C (the signal): those still waiting are returned as they last stood.
    if (pending.length === 0 || options.signal?.aborted) return {statuses, timedOut: false}
    if (Date.now() + interval > deadline) return {statuses, timedOut: true}
    await sleep(interval, options.signal)
    interval = Math.min(interval * 1.5, 3000)
  }
}

/**
 * Where the record of a file `upload --batch` packed went (the file has no key of its own there): its item, when the
 * table holds this very record, stored from a line of a batch object. Undefined otherwise (no valid record, not
 * stored so, or stored from another upload).
 */
export async function packedRecordStatus(
  target: PipelineTarget,
  key: string,
  body: Buffer,
): Promise<KeyStatus | undefined> {
  const check = checkRecord(body)
  if (!check.ok) return undefined
  const {GetItemCommand} = await import('@aws-sdk/client-dynamodb')
  const record = check.item as Record<string, {S: string}>
  const {Item} = await tableClient(target).send(
    new GetItemCommand({
      TableName: resource(target, 'table'),
      Key: {[TABLE_KEY.partition]: record[TABLE_KEY.partition], [TABLE_KEY.sort]: record[TABLE_KEY.sort]},
    }),
  )
  const sourceKey = Item?.[ITEM_METADATA.sourceKey]?.S
  const line = Number(Item?.[ITEM_METADATA.sourceLine]?.N)
  if (!Item || !sourceKey || !isBatchName(sourceKey) || !line || !sameRecord(check.item, Item)) return undefined
  return {
    key,
    state: 'stored',
    at: Item[ITEM_METADATA.ingestedAt]?.S,
    item: itemKey(Item),
    packedInto: {key: sourceKey, line},
  }
}

/**
 * Where the record of a file `upload --batch` packed went when it was quarantined: the newest of its entries still in
 * quarantine, found from the record's bytes (the processor records each under packedRecordKey), with the batch object
 * and line. Undefined when none is (never quarantined so, released or removed since, or the target knows no outcomes
 * table). Read with the uploader's rights: a Query, and an entry's tags.
 */
export async function packedQuarantineStatus(
  target: PipelineTarget,
  key: string,
  body: Buffer,
): Promise<KeyStatus | undefined> {
  const table = target.resources.outcomesTable
  if (!table) return undefined
  const {QueryCommand} = await import('@aws-sdk/client-dynamodb')
  const {partitionKey, attributes} = OUTCOMES_TABLE
  const response = await tableClient(target).send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: {'#key': partitionKey},
      ExpressionAttributeValues: {':key': {S: packedRecordKey(packedRecord(body))}},
    }),
  )
  const records = (response.Items ?? []).map((record) => ({
    at: record[attributes.at]?.S,
    entry: record[attributes.entry]?.S ?? '',
    batchKey: record[attributes.batchKey]?.S ?? '',
    line: Number(record[attributes.line]?.N),
  }))
  for (const record of records.sort(newestFirst)) {
    const entry = await taggedEntry(target, record.entry)
    if (!entry) continue
    return {
      key,
      state: 'quarantined',
      at: entry.quarantinedAt ?? record.at,
      reason: entry.reason,
      entry: entry.key,
      packedInto: {key: record.batchKey, line: record.line},
    }
  }
  return undefined
}

/**
 * The status of a file's key, as that file sees it: when the key's item is another record than the file's (another
 * folder of the same layout was uploaded under the same key), `otherRecordThan` names the file's own record.
 */
export function asSeenByFile(status: KeyStatus, body: Buffer): KeyStatus {
  if (!status.item || status.state === 'quarantined') return status
  const check = checkRecord(body)
  if (!check.ok) return status
  const record = itemKey(check.item as Record<string, {S?: string}>)
  const same = record.ArtistID === status.item.ArtistID && record.ItemID === status.item.ItemID
  return same ? status : {...status, otherRecordThan: record}
}
