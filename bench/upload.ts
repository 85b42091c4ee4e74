// Upload throughput against a local s3rver: `eventpulse upload DIR` (whole process, record check included) against a
// bare concurrent PutObject loop (the ceiling: bodies already in memory, no checks) and `aws s3 cp --recursive`.
// Run: npm run build && node dist/bench/upload.js [records]
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {PutObjectCommand} from '@aws-sdk/client-s3'

import {mapConcurrently} from '../src/lib/aws/concurrency.js'
import {LOCAL_CREDENTIALS} from '../src/lib/aws/credentials.js'
import {createRequestHandler} from '../src/lib/aws/http.js'
import {createS3Client} from '../src/lib/aws/target.js'
import {startS3} from '../src/lib/local/emulators.js'

const BUCKET = 'bench-processing'
const CONCURRENCY = 16
const RUNS = 3
const AWS_CLI = '/usr/bin/aws'
const root = fileURLToPath(new URL('../..', import.meta.url))

/** s3rver runs in a process of its own, so that every contender talks to the same server over loopback. */
async function serveS3(directory: string): Promise<void> {
  const s3 = await startS3({directory, host: '127.0.0.1', port: 0, buckets: [BUCKET]})
  process.stdout.write(`${s3.endpoint}\n`)
}

function startServer(directory: string): Promise<{endpoint: string; stop: () => void}> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', directory], {stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve({endpoint: chunk.toString().trim(), stop: () => child.kill()}))
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)))
  })
}

function writeRecords(directory: string, count: number): void {
  mkdirSync(directory, {recursive: true})
  for (let i = 0; i < count; i++) {
    const record = {ArtistID: {S: `Artist ${i % 50}`}, ItemID: {S: `TRACK#Song ${i}`}, EntityType: {S: 'Track'}, Duration: {N: String(120 + (i % 200))}}
    writeFileSync(join(directory, `record-${String(i).padStart(5, '0')}.json`), JSON.stringify(record, null, 2))
  }
}

/**
 * Median wall time of a whole process over RUNS runs after a warm-up, each run with its own key prefix: the local S3
 * honours If-None-Match like S3, so a run repeating the last one's keys would be refused rather than measured.
 */
function medianRunMs(command: string, args: (prefix: string) => string[], env: NodeJS.ProcessEnv): number {
  const times: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    const started = process.hrtime.bigint()
    const result = spawnSync(command, args(`run-${run}`), {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6
    if (result.status !== 0) throw new Error(`${command} exited with ${result.status}: ${result.stderr.toString().slice(-500)}`)
    if (run > 0) times.push(elapsed)
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

async function bareLoopMs(endpoint: string, directory: string): Promise<number> {
  const s3 = createS3Client({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: createRequestHandler({maxSockets: CONCURRENCY}),
    maxAttempts: 3,
  })
  const bodies = readdirSync(directory).map((name) => ({name, body: readFileSync(join(directory, name))}))
  const put = (prefix: string) =>
    mapConcurrently(bodies, CONCURRENCY, ({name, body}) =>
      s3.send(new PutObjectCommand({Bucket: BUCKET, Key: `bare/${prefix}/${name}`, Body: body, ContentType: 'application/json'})),
    )
  const times: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    const started = process.hrtime.bigint()
    await put(`run-${run}`)
    if (run > 0) times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  s3.destroy()
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000)
  const work = mkdtempSync(join(tmpdir(), 'eventpulse-bench-upload-'))
  const records = join(work, 'records')
  writeRecords(records, count)
  const server = await startServer(join(work, 's3'))
  try {
    const credentials = {AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1'}
    const rows: {name: string; ms: number}[] = []
    rows.push({name: 'bare PutObject loop (ceiling)', ms: await bareLoopMs(server.endpoint, records)})
    const upload = medianRunMs(
      process.execPath,
      (prefix) => [join(root, 'bin/run.js'), 'upload', records, '--prefix', `cli/${prefix}`, '--endpoint-url', server.endpoint, '--processing-bucket', BUCKET, '--concurrency', String(CONCURRENCY)],
      {...credentials, XDG_CACHE_HOME: join(work, 'cache')},
    )
    rows.push({name: 'eventpulse upload DIR (process, checks)', ms: upload})
    if (existsSync(AWS_CLI)) {
      const version = spawnSync(AWS_CLI, ['--version'], {encoding: 'utf8'}).stdout.trim()
      // The same concurrency as the others (the AWS CLI's default is 10).
      const config = join(work, 'aws-config')
      writeFileSync(config, `[default]\ns3 =\n  max_concurrent_requests = ${CONCURRENCY}\n`)
      const ms = medianRunMs(
        AWS_CLI,
        (prefix) => ['s3', 'cp', '--recursive', '--only-show-errors', records, `s3://${BUCKET}/awscli/${prefix}/`, '--endpoint-url', server.endpoint],
        // Plain bodies: aws-chunked checksum framing would be stored as is by s3rver.
        {...credentials, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_CONFIG_FILE: config},
      )
      rows.push({name: `aws s3 cp --recursive (${version.split(' ')[0]})`, ms})
    }

    const perSecond = (ms: number) => (count / ms) * 1000
    const uploadRate = perSecond(upload)
    console.log(`\nUploading ${count} small records to s3rver on loopback, concurrency ${CONCURRENCY}, median of ${RUNS} runs`)
    for (const row of rows)
      console.log(
        `  ${row.name.padEnd(44)} ${row.ms.toFixed(0).padStart(6)} ms  ${perSecond(row.ms).toFixed(0).padStart(6)} objects/s   upload = ${(uploadRate / perSecond(row.ms)).toFixed(2)}x`,
      )
    if (!existsSync(AWS_CLI)) console.log(`  aws s3 cp --recursive: skipped, ${AWS_CLI} is not installed (apt-get install awscli)`)
    console.log('  Targets: upload >= 0.80x the bare loop, >= 1.3x aws s3 cp.')
  } finally {
    server.stop()
    rmSync(work, {recursive: true, force: true})
  }
}

if (process.argv[2] === '--serve') await serveS3(process.argv[3])
else await main()
