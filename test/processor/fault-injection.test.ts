import {readFile} from 'node:fs/promises'

import {ScanCommand} from '@aws-sdk/client-dynamodb'
import {afterAll, expect, test} from 'vitest'

import {type Notification, OutboxNotifier} from '#processor/notifier.js'
import {MAX_OBJECT_BYTES} from '#contract/limits.js'
import type {DeadLetterRecord} from '#local/dispatcher.js'
import type {LocalPipeline} from '#local/pipeline.js'
import {ITEM_METADATA, parseQuarantineKey, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {decodeEventKey} from '#processor/event.js'
import {type FaultCounts, flakyNotifier, injectFaults, seededRandom} from './faults.js'
import {helpers, removeDir, startTestPipeline, temporaryDir} from './helpers.js'

const OBJECTS = 500
const FAULT_RATE = 0.15
const SEED = 20261128

type Kind = 'valid' | 'twin' | 'rival' | 'replaced' | 'invalid-json' | 'schema' | 'too-large'

interface Upload {
  key: string
  kind: Kind
  body: string
  record?: string
  resend: boolean
  /** For `replaced`: other content for the same record, sent later under the same key. */
  replacement?: string
}

/**
 * 500 uploads: mostly valid records; pairs sending one record twice (one stored, the other unchanged); pairs of
 * different records under one ArtistID + ItemID (one stored, the other a duplicate); some invalid, some over the size
 * cap. Some keys are sent again with the same bytes (`resend`): the same upload, which must never end as a duplicate
 * of itself. Some are sent again with changed content (`replaced`): a new upload under the same key.
 */
function workload(): Upload[] {
  return Array.from({length: OBJECTS}, (_, i) => {
    const key = `load/${String(i).padStart(3, '0')} ${i % 7 === 0 ? 'a+b#c%' : 'é'}.json`
    const resend = i % 10 === 0 || i % 10 === 3 || i % 10 === 5 || i % 10 === 7
    const record = (n: number, duration = 100 + n) =>
      JSON.stringify({ArtistID: `Artist ${n % 40}`, ItemID: `TRACK#Song ${n}`, EntityType: 'Track', Duration: duration})
    if (i % 100 === 99) return {key, kind: 'too-large', body: ' '.repeat(MAX_OBJECT_BYTES + 1), resend}
    if (i % 50 === 29)
      return {key, kind: 'replaced', body: record(i), record: `Song ${i}`, resend, replacement: record(i, 999)}
    if (i % 10 === 7) return {key, kind: 'invalid-json', body: `{"ArtistID": "broken ${i}",`, resend}
    if (i % 10 === 8)
      return {key, kind: 'schema', body: JSON.stringify({ArtistID: `Artist ${i}`, ItemID: `Song ${i}`}), resend}
    // Objects i and i+1 (i % 10 === 3, 4) carry one record between them; so do (5, 6), with different content.
    if (i % 10 === 3) return {key, kind: 'twin', body: record(i), record: `Song ${i}`, resend}
    if (i % 10 === 4) return {key, kind: 'twin', body: record(i - 1), record: `Song ${i - 1}`, resend}
    if (i % 10 === 5) return {key, kind: 'rival', body: record(i), record: `Song ${i}`, resend}
    if (i % 10 === 6) return {key, kind: 'rival', body: record(i - 1, 1), record: `Song ${i - 1}`, resend}
    return {key, kind: 'valid', body: record(i), record: `Song ${i}`, resend}
  })
}

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

test(`${OBJECTS} objects with ${FAULT_RATE * 100}% of S3, DynamoDB and notification calls failing: none lost, none in two places, no valid one quarantined, none a duplicate of itself`, async () => {
  const dataDir = await temporaryDir()
  dirs.push(dataDir)
  const random = seededRandom(SEED)
  const counts: FaultCounts = {before: 0, after: 0, calls: 0}
  const deadLetters: DeadLetterRecord[] = []
  const outbox = new OutboxNotifier(`${dataDir}/outbox.jsonl`)
  const faulty = await startTestPipeline({
    dataDir,
    concurrency: 16,
    maxAttempts: 2,
    sdkMaxAttempts: 2,
    notifier: flakyNotifier(outbox, {rate: FAULT_RATE, random, counts}),
    onDeadLetter: (record) => deadLetters.push(record),
    instrumentHandlerClients({s3, dynamodb}) {
      injectFaults(s3, {rate: FAULT_RATE, random, counts})
      injectFaults(dynamodb, {rate: FAULT_RATE, random, counts})
    },
  })
  const uploads = workload()
  // Every body sent under each key, by its ETag.
  const sent = new Map<string, Map<string, string>>()
  // The keys to send again go last, while the first copies may still be in flight.
  const sends = [
    ...uploads,
    ...uploads.filter((u) => u.resend),
    ...uploads.flatMap(({key, replacement}) => (replacement ? [{key, body: replacement}] : [])),
  ]
  for (let i = 0; i < sends.length; i += 25)
    await Promise.all(
      sends.slice(i, i + 25).map(async ({key, body}) => {
        // The processing bucket refuses to replace an upload still in flight (412), as on AWS: send again once the
        // pipeline is idle, as a user would; a key whose first upload is dead-lettered still waits, and stays refused.
        const etag = await faulty.upload(key, body).catch(async (error) => {
          if (error?.$metadata?.httpStatusCode !== 412) throw error
          await faulty.pipeline.idle()
          return faulty.upload(key, body).catch((again) => {
            if (again?.$metadata?.httpStatusCode !== 412) throw again
            return undefined
          })
        })
        if (etag) sent.set(key, (sent.get(key) ?? new Map()).set(etag, body))
      }),
    )
  await faulty.pipeline.idle()
  // After the faulty run: every object is stored XOR quarantined, or still waiting with a dead-letter record.
  const afterFaults = await outcomes(faulty.pipeline)
  await faulty.pipeline.stop()
  expect(counts.before + counts.after).toBeGreaterThan(counts.calls * 0.1)

  const deadLettered = new Set(deadLetters.map((record) => decodeEventKey(record.event.detail.object.key)))
  const fileRecords = (await readFile(`${dataDir}/dead-letter.jsonl`, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
  expect(fileRecords).toHaveLength(deadLetters.length)
  for (const {key, kind} of uploads) {
    if (afterFaults.waiting.has(key)) {
      expect(deadLettered, `${key} is still in the processing bucket with no dead-letter record`).toContain(key)
      continue
    }
    if (kind !== 'replaced') expect(places(afterFaults, key), `${key} must be in exactly one place`).toBe(1)
  }
  checkNoValidQuarantined(uploads, afterFaults)

  // Restarting (no faults now) redelivers what was left: afterwards everything is done, exactly once.
  const retry = await startTestPipeline({dataDir})
  expect(retry.pipeline.leftovers).toBe(afterFaults.waiting.size)
  await retry.pipeline.idle()
  const final = await outcomes(retry.pipeline)
  await retry.pipeline.stop()
  expect(final.waiting.size).toBe(0)
  for (const {key, kind} of uploads) {
    if (kind === 'replaced') continue
    expect(places(final, key), `${key} (${kind}) must be in exactly one place`).toBe(1)
    if (kind === 'invalid-json' || kind === 'schema' || kind === 'too-large')
      expect(final.quarantined.get(key)).toEqual([kind])
  }
  // A changed record under a key whose first upload was stored is a duplicate; or the first was replaced unread and
  // the second is stored. Either way the second upload ends somewhere, and the first nowhere else.
  for (const {key, replacement} of uploads.filter((u) => u.kind === 'replaced')) {
    const [first, second] = [...sent.get(key)!.keys()]
    // The processing bucket refused the changed upload (412) while the first one still waited there with a dead
    // letter: the sender was told, so only the first upload has to end somewhere, once.
    if (second === undefined) {
      expect(places(final, key), `the refused change of ${key}: its first upload`).toBe(1)
      continue
    }
    const secondPlace = final.storedEtag.get(key) === second ? 'stored' : final.quarantinedEtags.get(key)?.[0]
    expect(secondPlace, `the changed upload of ${key}`).toBeDefined()
    if (secondPlace === 'stored') expect(final.quarantined.get(key)).toBeUndefined()
    else {
      expect(final.quarantined.get(key)).toEqual(['duplicate'])
      expect(final.quarantinedEtags.get(key)).toEqual([second])
      expect(final.storedEtag.get(key)).toBe(first)
    }
    expect(replacement).toBe(sent.get(key)!.get(second))
  }
  checkNoValidQuarantined(uploads, final)
  const pairs = (kind: Kind) => new Set(uploads.filter((u) => u.kind === kind).map((u) => u.record))
  for (const record of pairs('twin')) {
    const pair = uploads.filter((u) => u.record === record)
    expect(pair.filter((u) => final.stored.has(u.key))).toHaveLength(1)
    expect(pair.filter((u) => final.unchanged.has(u.key))).toHaveLength(1)
  }
  for (const record of pairs('rival')) {
    const pair = uploads.filter((u) => u.record === record)
    expect(pair.filter((u) => final.stored.has(u.key))).toHaveLength(1)
    expect(pair.flatMap((u) => final.quarantined.get(u.key) ?? [])).toEqual(['duplicate'])
  }
  expect(final.itemCount).toBe(
    uploads.filter((u) => u.kind === 'valid' || u.kind === 'replaced').length +
      pairs('twin').size +
      pairs('rival').size,
  )
  // Each stored item holds the content of the upload it names, the record's own attributes included.
  for (const item of final.items) {
    const key = item[ITEM_METADATA.sourceKey].S!
    const body = sent.get(key)?.get(item[ITEM_METADATA.sourceEtag].S!)
    expect(body, `the item from ${key} names an upload that was sent`).toBeDefined()
    const record = JSON.parse(body!)
    expect(item).toMatchObject({
      ArtistID: {S: record.ArtistID},
      ItemID: {S: record.ItemID},
      EntityType: {S: record.EntityType},
      Duration: {N: String(record.Duration)},
    })
  }
  // Every outcome was notified at least once, with the same key, ETag and outcome (from either run's outbox).
  const notified = new Set(
    (await readOutbox(dataDir)).map((n) => JSON.stringify([n.sourceKey, n.etag, n.outcome, n.reason ?? null])),
  )
  // An event whose every try failed is in the dead-letter queue: that is its record, for `dead-letters list`, when
  // its object was replaced meanwhile (nothing is left to redeliver).
  const deadLetteredUploads = new Set(
    deadLetters.map((record) =>
      JSON.stringify([decodeEventKey(record.event.detail.object.key), record.event.detail.object.etag]),
    ),
  )
  const expectNotified = (key: string, etag: string, outcome: string, reason: string | null = null) =>
    expect(
      notified.has(JSON.stringify([key, etag, outcome, reason])) ||
        deadLetteredUploads.has(JSON.stringify([key, etag])),
      `${outcome} ${key} notified`,
    ).toBe(true)
  // Including a stored upload whose publish failed and whose key a `replaced` upload took before the retry: the retry
  // finds it superseded, and announces the outcome its earlier try reached.
  for (const key of final.stored) expectNotified(key, final.storedEtag.get(key)!, 'stored')
  for (const [key, reasons] of final.quarantined)
    reasons.forEach((reason, i) => expectNotified(key, final.quarantinedEtags.get(key)![i], 'quarantined', reason))
  for (const [key, etag] of final.unchanged) expectNotified(key, etag, 'unchanged')
  console.log(
    `fault injection: ${counts.calls} calls, ${counts.before} failed before and ${counts.after} after taking effect; ` +
      `${deadLetters.length} dead-lettered, then redelivered on restart`,
  )
}, 120_000)

/** Where a key ended: its stored item, its quarantine entries, or its `unchanged` record. */
const places = (state: Awaited<ReturnType<typeof outcomes>>, key: string) =>
  Number(state.stored.has(key)) + (state.quarantined.get(key)?.length ?? 0) + Number(state.unchanged.has(key))

function checkNoValidQuarantined(uploads: Upload[], state: Awaited<ReturnType<typeof outcomes>>) {
  for (const {key, kind, resend} of uploads) {
    const reasons = state.quarantined.get(key) ?? []
    if (kind === 'valid' || kind === 'twin') expect(reasons, `valid ${key} quarantined`).toEqual([])
    if (kind === 'rival') expect(reasons.filter((reason) => reason !== 'duplicate')).toEqual([])
    // Sent twice, the same bytes are one upload: never a duplicate of itself.
    if (resend && state.stored.has(key)) expect(reasons, `${key} a duplicate of itself`).toEqual([])
  }
}

/** Where each object ended up: the processing bucket, the table (by source key) and the quarantine (by source key). */
async function outcomes(pipeline: LocalPipeline) {
  const look = helpers(pipeline)
  const waiting = new Set(await look.keys(pipeline.state.processingBucket))
  const items = await look.items()
  const stored = new Set<string>()
  const storedEtag = new Map<string, string>()
  for (const item of items) {
    const key = item[ITEM_METADATA.sourceKey].S!
    expect(stored, `two items from ${key}`).not.toContain(key)
    stored.add(key)
    storedEtag.set(key, item[ITEM_METADATA.sourceEtag].S!)
  }
  const quarantined = new Map<string, string[]>()
  const quarantinedEtags = new Map<string, string[]>()
  for (const entry of await look.keys(pipeline.state.quarantineBucket)) {
    const {sourceKey} = parseQuarantineKey(entry)!
    const {metadata} = await look.quarantined(entry)
    quarantined.set(sourceKey, [...(quarantined.get(sourceKey) ?? []), metadata[QUARANTINE_METADATA.reason]])
    quarantinedEtags.set(sourceKey, [
      ...(quarantinedEtags.get(sourceKey) ?? []),
      metadata[QUARANTINE_METADATA.sourceEtag],
    ])
  }
  const unchanged = new Map<string, string>()
  const records = await pipeline.dynamodb.send(new ScanCommand({TableName: pipeline.state.outcomesTable}))
  for (const record of records.Items ?? [])
    if (record[OUTCOMES_TABLE.attributes.outcome].S === 'unchanged')
      unchanged.set(record[OUTCOMES_TABLE.partitionKey].S!, record[OUTCOMES_TABLE.sortKey].S!)
  return {waiting, stored, storedEtag, quarantined, quarantinedEtags, unchanged, items, itemCount: items.length}
}

async function readOutbox(dataDir: string): Promise<Notification[]> {
  const text = await readFile(`${dataDir}/outbox.jsonl`, 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}
