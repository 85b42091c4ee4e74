// Benchmark for the processor through the local pipeline: objects per second for 1,000 records, and AWS API calls
// per object on each path (counted by an SDK middleware on the handler's clients, plus each publish), printed beside
// a naive processor's pattern: HeadObject on the quarantine, GetObject, GetItem, PutItem, Publish = 5 calls, with
// the object left behind in the processing bucket. Each path has a call budget (at most 4 calls to store or quarantine
// an object, 5 where the conditional put finds the item already there); the run fails if a path goes over it.
// Then `upload` run twice over the same records: the first sends them all, the second finds them all stored exactly so
// (unchanged, not sent): its wall time against the first run's, and the AWS calls per record it makes.
// Then bulk ingest: `bulk` records (100,000 by default) through the local pipeline as one NDJSON batch object, as 100
// batches, and as single-record files (a measured sample, extrapolated), records/s for each beside the floor of a bare
// conditional-PutItem loop against the same local DynamoDB at the batch's parallelism; AWS calls per record on the
// all-valid batch (target ≤1.05); and the process's peak RSS while the one big batch is processed (this process also
// runs dynalite and s3rver, so that is an upper bound for the processor).
// Last, crash recovery (crash-recovery.ts): NDJSON batches through a real `local start` SIGKILLed during processing,
// beside the same unkilled, with the result checked.
// Run: npm run build && node dist/bench/pipeline.js [records=1000] [concurrency=16] [bulk=100000]
// or, crash recovery alone: node dist/bench/pipeline.js crash-recovery
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {PutItemCommand} from '@aws-sdk/client-dynamodb'
import {CreateBucketCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {mapConcurrently} from '#core/concurrency.js'
import {crashRecovery} from './crash-recovery.js'
import {DEFAULT_BATCH_SETTINGS} from '#processor/process-batch.js'
import {type LocalPipeline, startLocalPipeline} from '#local/pipeline.js'
import {localClients, localTarget} from '#local/target.js'
import type {Notifier} from '#processor/notifier.js'
import {planUpload} from '#upload/plan.js'
import {runUpload} from '#upload/run-upload.js'

if (process.argv[2] === 'crash-recovery') {
  await crashRecovery()
  process.exit(0)
}

const recordCount = Number(process.argv[2] ?? 1000)
const concurrency = Number(process.argv[3] ?? 16)
const bulkCount = Number(process.argv[4] ?? 100_000)
const NAIVE_CALLS = 5

const record = (i: number, run: string, duration = 60 + (i % 600)) =>
  JSON.stringify({
    ArtistID: `Artist ${i % 97}`,
    ItemID: `TRACK#${run} ${i}`,
    Title: `Song ${i}`,
    EntityType: 'Track',
    Duration: duration,
    Features: [`Guest ${i % 13}`],
  })

type Calls = Map<string, number>
const calls: Calls = new Map()
const count = (name: string, into = calls) => into.set(name, (into.get(name) ?? 0) + 1)
const countingInto =
  (into: Calls) =>
  <Args, Output>(next: (args: Args) => Promise<Output>, context: {commandName?: string}) =>
  (args: Args): Promise<Output> => {
    count(context.commandName ?? 'unknown', into)
    return next(args)
  }
const countingMiddleware = countingInto(calls)
const countingNotifier: Notifier = {publish: async () => void count('Publish')}
const total = (counted: Calls) => [...counted.values()].reduce((sum, n) => sum + n, 0)
const silent = {advance() {}, done() {}}

/**
 * `upload` (the library the command runs, in this process) over `count` record files, twice: the first run sends
 * them, the second finds each stored exactly so. Wall time and AWS calls of each, counted on the upload's own clients.
 */
async function uploadTwice(pipeline: LocalPipeline, directory: string, count: number) {
  mkdirSync(directory)
  for (let i = 0; i < count; i++) writeFileSync(join(directory, `${i}.json`), record(i, 'rerun'))
  const planned = await planUpload([directory], {prefix: 'rerun'})
  const clients = localClients(pipeline.state, {concurrency})
  const uploadCalls: Calls = new Map()
  clients.s3.middlewareStack.add(countingInto(uploadCalls), {step: 'initialize', name: 'countCalls'})
  clients.dynamodb.middlewareStack.add(countingInto(uploadCalls), {step: 'initialize', name: 'countCalls'})
  const target = localTarget(pipeline.state, {concurrency, clients})
  const run = async () => {
    uploadCalls.clear()
    const started = performance.now()
    const result = await runUpload(target, planned, {validate: true, progress: silent})
    return {ms: performance.now() - started, calls: total(uploadCalls), summary: result.summary}
  }
  const first = await run()
  await pipeline.idle()
  const again = await run()
  if (first.summary.uploaded !== count || again.summary.unchanged !== count)
    throw new Error(
      `expected ${count} sent, then ${count} unchanged: ${JSON.stringify([first.summary, again.summary])}`,
    )
  clients.s3.destroy()
  clients.dynamodb.destroy()
  return {first, again}
}

async function uploadAll(
  s3: S3Client,
  bucket: string,
  bodies: {key: string; body: string | Uint8Array}[],
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next < bodies.length) {
        const {key, body} = bodies[next++]
        await s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*'}))
      }
    }),
  )
}

/** Calls per object while the pipeline handles `bodies` (sent through `s3`), by API. */
async function callsPerObject(
  pipeline: LocalPipeline,
  bodies: {key: string; body: string | Uint8Array}[],
  s3: S3Client = pipeline.s3,
) {
  await pipeline.idle()
  calls.clear()
  await uploadAll(s3, pipeline.state.processingBucket, bodies)
  await pipeline.idle()
  const byApi = [...calls.entries()]
    .map(([api, n]) => `${api.replace(/Command$/, '')} ${(n / bodies.length).toFixed(2)}`)
    .join(', ')
  return {perObject: total(calls) / bodies.length, byApi}
}

const dataDir = mkdtempSync(join(tmpdir(), 'eventpulse-bench-pipeline-'))
try {
  const pipeline = await startLocalPipeline({
    dataDir,
    concurrency,
    writeState: false,
    notifier: countingNotifier,
    log: () => {},
    instrumentHandlerClients({s3, dynamodb}) {
      s3.middlewareStack.add(countingMiddleware, {step: 'initialize', name: 'countCalls'})
      dynamodb.middlewareStack.add(countingMiddleware, {step: 'initialize', name: 'countCalls'})
    },
  })
  console.log(
    `pipeline benchmark: ${recordCount} records, ${concurrency} at once, ` +
      `local pipeline (dynalite + s3rver), ${process.version}`,
  )

  // Floor: the same uploads into a bucket nobody processes.
  await pipeline.s3.send(new CreateBucketCommand({Bucket: 'bench-floor'}))
  const floorBodies = Array.from({length: recordCount}, (_, i) => ({key: `floor/${i}.json`, body: record(i, 'floor')}))
  let started = performance.now()
  await uploadAll(pipeline.s3, 'bench-floor', floorBodies)
  const floorMs = performance.now() - started

  const bodies = Array.from({length: recordCount}, (_, i) => ({
    key: `throughput/${i}.json`,
    body: record(i, 'throughput'),
  }))
  started = performance.now()
  await uploadAll(pipeline.s3, pipeline.state.processingBucket, bodies)
  await pipeline.idle()
  const pipelineMs = performance.now() - started
  const stats = pipeline.stats()
  if (stats.stored !== recordCount) throw new Error(`expected ${recordCount} stored, got ${JSON.stringify(stats)}`)

  console.log(`\nThroughput (${recordCount} records, upload to stored)`)
  console.log(
    `  upload only, nothing processed (floor)        ${floorMs.toFixed(0).padStart(7)} ms   ` +
      `${((recordCount / floorMs) * 1000).toFixed(0).padStart(5)} objects/s   1.00x floor`,
  )
  console.log(
    `  upload + processed by the local pipeline      ${pipelineMs.toFixed(0).padStart(7)} ms   ` +
      `${((recordCount / pipelineMs) * 1000).toFixed(0).padStart(5)} objects/s   ` +
      `${(pipelineMs / floorMs).toFixed(2)}x floor`,
  )

  const sample = Math.min(200, recordCount)
  // Replacements go under replace/, which only the quarantine admin may write (locally: its own pair of keys).
  const {endpoints, roleCredentials} = pipeline.state
  const admin = localClients({endpoints, credentials: roleCredentials.quarantineAdmin}).s3
  const paths: {name: string; budget: number; bodies: {key: string; body: string | Uint8Array}[]; s3?: S3Client}[] = [
    {
      name: 'stored',
      budget: 4,
      bodies: Array.from({length: sample}, (_, i) => ({key: `stored/${i}.json`, body: record(i, 'stored')})),
    },
    {
      name: 'invalid (schema)',
      budget: 4,
      bodies: Array.from({length: sample}, (_, i) => ({
        key: `invalid/${i}.json`,
        body: JSON.stringify({ArtistID: `A ${i}`}),
      })),
    },
    {
      name: 'duplicate (other content)',
      budget: 5,
      bodies: Array.from({length: sample}, (_, i) => ({key: `duplicate/${i}.json`, body: record(i, 'stored', 1)})),
    },
    {
      name: 'unchanged (same record again)',
      budget: 5,
      bodies: Array.from({length: sample}, (_, i) => ({key: `unchanged/${i}.json`, body: record(i, 'stored')})),
    },
    {
      // At most 2 calls more than stored: the put that finds the item, and the earlier version kept in the history.
      name: 'replaced (under replace/)',
      budget: 6,
      bodies: Array.from({length: sample}, (_, i) => ({key: `replace/${i}.json`, body: record(i, 'stored', 2)})),
      s3: admin,
    },
    {
      name: 'too large (never downloaded)',
      budget: 4,
      bodies: Array.from({length: 10}, (_, i) => ({key: `large/${i}.json`, body: new Uint8Array(1024 * 1024 + 1)})),
    },
  ]
  console.log(
    `\nAWS API calls per object (naive processor: ${NAIVE_CALLS} calls, and the object left in the processing bucket)`,
  )
  for (const path of paths) {
    const {perObject, byApi} = await callsPerObject(pipeline, path.bodies, path.s3)
    console.log(
      `  ${path.name.padEnd(30)} ${perObject.toFixed(2).padStart(5)} calls (budget ${path.budget})   ${(perObject / NAIVE_CALLS).toFixed(2)}x naive   object removed   (${byApi})`,
    )
    if (perObject > path.budget) throw new Error(`${path.name}: ${perObject} calls per object, over the budget`)
  }

  admin.destroy()
  const {first, again} = await uploadTwice(pipeline, join(dataDir, 'rerun'), recordCount)
  console.log(
    `\nRe-running an upload (${recordCount} records; the upload's own AWS calls; target: ≤1 call/record, ≥5x faster)`,
  )
  for (const [name, row] of [
    ['first upload: every record sent', first],
    ['same upload again: all unchanged, none sent', again],
  ] as const)
    console.log(
      `  ${name.padEnd(46)} ${row.ms.toFixed(0).padStart(7)} ms   ${(row.ms / first.ms).toFixed(2)}x first   ${row.calls
        .toString()
        .padStart(5)} calls   ${(row.calls / recordCount).toFixed(2)} calls/record`,
    )
  console.log(`  the re-run is ${(first.ms / again.ms).toFixed(1)}x faster than the first upload`)
  await bulkIngest(pipeline)
  await pipeline.stop()
  await crashRecovery()
} finally {
  rmSync(dataDir, {recursive: true, force: true})
}

/** Records/s of one way of ingesting `records` records, with its ratio to the PutItem floor. */
function rate(name: string, records: number, ms: number, floorMs?: number, note = ''): string {
  const perSecond = (records / ms) * 1000
  const ratio = floorMs === undefined ? '1.00x floor' : `${(ms / floorMs).toFixed(2)}x floor`
  return `  ${name.padEnd(46)} ${ms.toFixed(0).padStart(8)} ms   ${perSecond.toFixed(0).padStart(6)} records/s   ${ratio}${note}`
}

/** The highest RSS seen while `work` runs, sampled every 50 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{result: T; peak: number}> {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  try {
    const result = await work()
    return {result, peak: Math.max(peak, process.memoryUsage().rss)}
  } finally {
    clearInterval(timer)
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

async function bulkIngest(pipeline: LocalPipeline) {
  const {parallelism} = DEFAULT_BATCH_SETTINGS
  const lines = (run: string, from: number, to: number) =>
    Array.from({length: to - from}, (_, i) => record(from + i, run)).join('\n') + '\n'
  console.log(`\nBulk ingest (${bulkCount} records; a batch has ${parallelism} records in flight)`)

  // Floor: a bare conditional PutItem loop, at the batch's parallelism, against the same local DynamoDB.
  const floorMs = await timed(() =>
    mapConcurrently(
      Array.from({length: bulkCount}, (_, i) => i),
      parallelism,
      (i) =>
        pipeline.dynamodb.send(
          new PutItemCommand({
            TableName: pipeline.state.table,
            Item: JSON.parse(
              JSON.stringify({
                ArtistID: {S: `Artist ${i % 97}`},
                ItemID: {S: `TRACK#floor-put ${i}`},
                Title: {S: `Song ${i}`},
                EntityType: {S: 'Track'},
                Duration: {N: String(60 + (i % 600))},
                Features: {L: [{S: `Guest ${i % 13}`}]},
              }),
            ),
            ConditionExpression: 'attribute_not_exists(ArtistID)',
          }),
        ),
    ),
  )
  console.log(rate('bare conditional PutItem loop (floor)', bulkCount, floorMs))

  // One batch object: the AWS calls per record, and the peak memory while it is processed.
  await pipeline.idle()
  calls.clear()
  const body = lines('bulk-one', 0, bulkCount)
  const rssBefore = process.memoryUsage().rss
  const one = await peakRss(() =>
    timed(async () => {
      await pipeline.s3.send(
        new PutObjectCommand({
          Bucket: pipeline.state.processingBucket,
          Key: 'bulk/one.ndjson',
          Body: body,
          IfNoneMatch: '*',
        }),
      )
      await pipeline.idle()
    }),
  )
  const oneCalls = total(calls)
  const byApi = [...calls.entries()].map(([api, n]) => `${api.replace(/Command$/, '')} ${n}`).join(', ')
  console.log(rate('one NDJSON batch object', bulkCount, one.result, floorMs))

  const batches = 100
  const per = Math.ceil(bulkCount / batches)
  const bodies = Array.from({length: batches}, (_, b) => ({
    key: `bulk/many-${b}.ndjson`,
    body: lines('bulk-many', b * per, Math.min(bulkCount, (b + 1) * per)),
  }))
  const manyMs = await timed(async () => {
    await uploadAll(pipeline.s3, pipeline.state.processingBucket, bodies)
    await pipeline.idle()
  })
  console.log(rate(`${batches} batch objects of ${per}`, bulkCount, manyMs, floorMs))

  const sample = Math.min(2000, bulkCount)
  const singles = Array.from({length: sample}, (_, i) => ({
    key: `bulk/single/${i}.json`,
    body: record(i, 'bulk-single'),
  }))
  const sampleMs = await timed(async () => {
    await uploadAll(pipeline.s3, pipeline.state.processingBucket, singles)
    await pipeline.idle()
  })
  const singleMs = (sampleMs / sample) * bulkCount
  console.log(
    rate(
      'single-record files',
      bulkCount,
      singleMs,
      floorMs,
      `   (extrapolated from ${sample} measured in ${sampleMs.toFixed(0)} ms)`,
    ),
  )
  const stats = pipeline.stats()
  if (stats.batch < batches + 1) throw new Error(`expected ${batches + 1} batches done: ${JSON.stringify(stats)}`)

  console.log(
    `\n  AWS calls per record, all-valid batch of ${bulkCount}: ${(oneCalls / bulkCount).toFixed(4)} (target ≤1.05; ${byApi})`,
  )
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`
  console.log(
    `  peak RSS while the ${bulkCount}-record batch was processed: ${mib(one.peak)} (before: ${mib(rssBefore)}; ` +
      `the batch object itself is ${mib(Buffer.byteLength(body))}; this process also runs dynalite and s3rver)`,
  )
}
