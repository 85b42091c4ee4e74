import {PutItemCommand, ScanCommand, type ScanCommandOutput} from '@aws-sdk/client-dynamodb'
import {HeadObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, expect, test} from 'vitest'

import {listObjects} from '#aws/list-objects.js'
import {ITEM_METADATA, parseQuarantineKey, QUARANTINE_METADATA} from '#contract/pipeline-contract.js'
import type {LocalPipeline} from '#local/pipeline.js'
import {OutboxNotifier} from '#processor/notifier.js'
import {type FaultCounts, flakyNotifier, injectFaults, seededRandom} from './faults.js'
import {helpers, removeDir, startTestPipeline, temporaryDir} from './helpers.js'

/** EVENTPULSE_BATCH_FAULT_RECORDS lets a slow machine measure a smaller run; the test is written for 20,000. */
const RECORDS = Number(process.env.EVENTPULSE_BATCH_FAULT_RECORDS ?? 20_000)
const FAULT_RATE = 0.1
const SEED = 20261128
const KEY = 'bulk/catalog.ndjson'

type Kind =
  'valid' | 'partner' | 'invalid-json' | 'schema' | 'rival' | 'twin' | 'same-as-stored' | 'differs-from-stored'

const record = (n: number, duration = n) =>
  JSON.stringify({ArtistID: `Artist ${n % 97}`, ItemID: `TRACK#${n}`, EntityType: 'Track', Duration: duration})
const storedBefore = (n: number) => ({
  ArtistID: {S: `Artist ${n % 97}`},
  ItemID: {S: `TRACK#${n}`},
  EntityType: {S: 'Track'},
  Duration: {N: String(n)},
  [ITEM_METADATA.sourceKey]: {S: `earlier/${n}.json`},
  [ITEM_METADATA.sourceEtag]: {S: 'earlier'},
})

/**
 * Line i (1-based): mostly valid records; every 100 lines one of each of: invalid JSON, a schema error, a rival of the
 * line before (same ArtistID + ItemID, other content: one stored, the other a duplicate), a twin of the line before
 * (the same record: one stored, the other unchanged), a record stored before the batch exactly so (unchanged), and
 * one stored before with other content (a duplicate).
 */
function workload(): {line: number; kind: Kind; text: string}[] {
  return Array.from({length: RECORDS}, (_, index) => {
    const line = index + 1
    switch (line % 100) {
      case 0:
        return {line, kind: 'invalid-json', text: `{"ArtistID": "broken ${line}",`}
      case 50:
        return {line, kind: 'schema', text: JSON.stringify({ArtistID: `Artist ${line}`, Duration: line})}
      case 10:
        return {line, kind: 'rival', text: record(line - 1, 1)}
      case 20:
        return {line, kind: 'twin', text: record(line - 1)}
      case 30:
        return {line, kind: 'same-as-stored', text: record(line)}
      case 40:
        return {line, kind: 'differs-from-stored', text: record(line, 7)}
      case 9:
      case 19:
        // The line a rival or twin after it pairs with.
        return {line, kind: 'partner', text: record(line)}
      default:
        return {line, kind: 'valid', text: record(line)}
    }
  })
}

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

test(`a ${RECORDS}-record batch with ${FAULT_RATE * 100}% of S3, DynamoDB and notification calls failing, then delivered again: no record lost, none stored twice, no false duplicate, no line quarantined twice`, async () => {
  const dataDir = await temporaryDir()
  dirs.push(dataDir)
  const lines = workload()
  const body = lines.map((l) => l.text).join('\n') + '\n'

  const random = seededRandom(SEED)
  const counts: FaultCounts = {before: 0, after: 0, calls: 0}
  const faulty = await startTestPipeline({
    dataDir,
    maxAttempts: 3,
    sdkMaxAttempts: 2,
    // A failed try gives its lease up; one whose release failed too holds it this long. Each invocation stops after
    // about 10 s, as if its time ran out (at its next record), and the batch continues from there in the next.
    invocationTimeoutMs: 60_000,
    batch: {leaseMs: 1_000, stopMarginMs: 50_000},
    notifier: flakyNotifier(new OutboxNotifier(`${dataDir}/outbox.jsonl`), {rate: FAULT_RATE, random, counts}),
    instrumentHandlerClients({s3, dynamodb}) {
      injectFaults(s3, {rate: FAULT_RATE, random, counts})
      injectFaults(dynamodb, {rate: FAULT_RATE, random, counts})
    },
  })
  for (const {line, kind} of lines)
    if (kind === 'same-as-stored' || kind === 'differs-from-stored')
      await faulty.pipeline.dynamodb.send(
        new PutItemCommand({TableName: faulty.pipeline.state.table, Item: storedBefore(line)}),
      )
  const started = Date.now()
  await faulty.upload(KEY, body)
  await faulty.pipeline.idle()
  const faultyStats = faulty.pipeline.stats()
  await faulty.pipeline.stop()
  expect(counts.before + counts.after).toBeGreaterThan(counts.calls * 0.05)
  expect(faultyStats.continuing).toBeGreaterThan(0)

  // Delivered again without faults (as the sweep or a redelivered event would): it finishes, or finds it finished.
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const retry = await startTestPipeline({dataDir})
  await retry.upload(KEY, body)
  await retry.pipeline.idle()
  const seconds = (Date.now() - started) / 1000
  const final = await outcomes(retry.pipeline)
  const notifications = await retry.outbox()
  await retry.pipeline.stop()

  expect(final.waiting).toEqual([])

  const expected = {stored: 0, unchanged: 0, quarantined: 0}
  for (const {line, kind} of lines) {
    const stored = final.storedLines.has(line)
    const reasons = final.entriesByLine.get(line) ?? []
    const where = `line ${line} (${kind})`
    if (kind === 'valid') expect([stored, reasons], where).toEqual([true, []])
    if (kind === 'invalid-json' || kind === 'schema') expect([stored, reasons], where).toEqual([false, [kind]])
    if (kind === 'same-as-stored') expect([stored, reasons], where).toEqual([false, []])
    if (kind === 'differs-from-stored') expect([stored, reasons], where).toEqual([false, ['duplicate']])
    if (kind === 'rival' || kind === 'twin') {
      // The pair (this line and the one before) in parallel: either may be the one stored.
      const partner = final.storedLines.has(line - 1)
      expect(Number(stored) + Number(partner), `${where}: one of the pair stored`).toBe(1)
      const pairReasons = [...reasons, ...(final.entriesByLine.get(line - 1) ?? [])]
      expect(pairReasons, where).toEqual(kind === 'rival' ? ['duplicate'] : [])
    }
    if (stored) expected.stored++
    else if (reasons.length > 0) expected.quarantined++
    else expected.unchanged++
  }
  const earlier = lines.filter((l) => l.kind === 'same-as-stored' || l.kind === 'differs-from-stored').length
  expect(final.itemCount).toBe(expected.stored + earlier)
  // The counts carried across checkpoints and retries match what is there.
  const last = notifications.filter((n) => n.sourceKey === KEY).at(-1)
  expect(last?.batch?.counts).toMatchObject({records: RECORDS, ...expected})
  console.log(
    `batch fault injection: ${RECORDS} records, ${counts.calls} calls, ${counts.before} failed before and ` +
      `${counts.after} after taking effect; faulty run: ${JSON.stringify(faultyStats)}; ${seconds.toFixed(1)} s in all`,
  )
}, 600_000)

/** Where the batch's lines ended: items (by line), quarantine entries (reasons by line), what is still waiting. */
async function outcomes(pipeline: LocalPipeline) {
  const look = helpers(pipeline)
  const waiting = await look.keys(pipeline.state.processingBucket)
  const items = []
  let ExclusiveStartKey
  do {
    const page: ScanCommandOutput = await pipeline.dynamodb.send(
      new ScanCommand({TableName: pipeline.state.table, ExclusiveStartKey}),
    )
    items.push(...(page.Items ?? []))
    ExclusiveStartKey = page.LastEvaluatedKey
  } while (ExclusiveStartKey)
  const storedLines = new Set<number>()
  for (const item of items) {
    if (item[ITEM_METADATA.sourceKey].S !== KEY) continue
    const line = Number(item[ITEM_METADATA.sourceLine].N)
    expect(storedLines, `two items from line ${line}`).not.toContain(line)
    storedLines.add(line)
  }
  const entriesByLine = new Map<number, string[]>()
  for await (const object of listObjects(pipeline.s3, pipeline.state.quarantineBucket)) {
    expect(parseQuarantineKey(object.key)?.sourceKey).toBe(KEY)
    const {Metadata = {}} = await pipeline.s3.send(
      new HeadObjectCommand({Bucket: pipeline.state.quarantineBucket, Key: object.key}),
    )
    const line = Number(Metadata[QUARANTINE_METADATA.sourceLine])
    entriesByLine.set(line, [...(entriesByLine.get(line) ?? []), Metadata[QUARANTINE_METADATA.reason]])
  }
  return {waiting, storedLines, entriesByLine, itemCount: items.length}
}
