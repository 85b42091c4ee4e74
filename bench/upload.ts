// Upload throughput against a local s3rver: `eventpulse upload DIR` (whole process, record check included) against a
// bare concurrent PutObject loop (the ceiling: bodies already in memory, no checks) and `aws s3 cp --recursive`.
// Run: npm run build && node dist/bench/upload.js [records]
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {PutObjectCommand} from '@aws-sdk/client-s3'

import {mapConcurrently} from '#core/concurrency.js'
import {newLocalCredentials} from '#local/credentials.js'
import {startS3} from '#local/emulators.js'
import {localClients} from '#local/target.js'
import {onPath} from './measure.js'

const BUCKET = 'bench-processing'
const CONCURRENCY = 16
const RUNS = 5
// The AWS CLI wherever it is installed (pip, the bundled installer, a distribution's package).
const AWS_CLI = onPath('aws')
const root = fileURLToPath(new URL('../..', import.meta.url))
const thisFile = fileURLToPath(import.meta.url)

/** The keys every process of the bench signs with, from the environment main() gives them. */
const benchCredentials = () => ({
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
})

/** s3rver runs in a process of its own, so that every contender talks to the same server over loopback. */
async function serveS3(directory: string): Promise<void> {
  const s3 = await startS3({
    directory,
    host: '127.0.0.1',
    port: 0,
    credentials: [benchCredentials()],
    buckets: [BUCKET],
  })
  process.stdout.write(`${s3.endpoint}\n`)
}

function startServer(directory: string, env: NodeJS.ProcessEnv): Promise<{endpoint: string; stop: () => void}> {
  const child = spawn(process.execPath, [thisFile, '--serve', directory], {
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve({endpoint: chunk.toString().trim(), stop: () => child.kill()}))
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)))
  })
}

function writeRecords(directory: string, count: number): void {
  mkdirSync(directory, {recursive: true})
  for (let i = 0; i < count; i++) {
    const record = {
      ArtistID: {S: `Artist ${i % 50}`},
      ItemID: {S: `TRACK#Song ${i}`},
      EntityType: {S: 'Track'},
      Duration: {N: String(120 + (i % 200))},
    }
    writeFileSync(join(directory, `record-${String(i).padStart(5, '0')}.json`), JSON.stringify(record, null, 2))
  }
}

/** One way of uploading the records: a run takes a key prefix of its own and resolves when all are uploaded. */
interface Contender {
  name: string
  run: (prefix: string) => Promise<void>
}

/**
 * A whole process as a contender. Each run has its own key prefix: the local S3 honours If-None-Match like S3,
 * so a run repeating the last one's keys would be refused rather than measured.
 */
function processContender(
  name: string,
  command: string,
  args: (prefix: string) => string[],
  env: NodeJS.ProcessEnv,
): Contender {
  return {
    name,
    async run(prefix) {
      const result = spawnSync(command, args(prefix), {
        env: {...process.env, ...env},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      if (result.status !== 0)
        throw new Error(`${command} exited with ${result.status}: ${result.stderr.toString().slice(-500)}`)
    },
  }
}

/** The ceiling: a loop of PutObject calls, `--concurrency` at a time, bodies read up front, nothing else. */
async function bareLoop(endpoint: string, directory: string, prefix: string, conditional: boolean): Promise<void> {
  // The local pipeline's clients (the DynamoDB one goes unused, as its module is loaded by `eventpulse upload` too).
  const {s3, dynamodb} = localClients(
    {endpoints: {s3: endpoint, dynamodb: endpoint}, credentials: benchCredentials()},
    {concurrency: CONCURRENCY},
  )
  const bodies = readdirSync(directory).map((file) => ({file, body: readFileSync(join(directory, file))}))
  await mapConcurrently(bodies, CONCURRENCY, ({file, body}) =>
    s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/${file}`,
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: conditional ? '*' : undefined,
      }),
    ),
  )
  s3.destroy()
  dynamodb.destroy()
}

/**
 * Median time of each contender. Rounds run every contender once, in turn, after a warm-up round: on a shared
 * machine, load that comes and goes then weighs on all of them alike.
 */
async function measure(contenders: Contender[]): Promise<number[]> {
  const times: number[][] = contenders.map(() => [])
  for (let round = 0; round <= RUNS; round++) {
    for (const [index, contender] of contenders.entries()) {
      const started = process.hrtime.bigint()
      await contender.run(`round-${round}`)
      if (round > 0) times[index].push(Number(process.hrtime.bigint() - started) / 1e6)
    }
  }
  return times.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)])
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000)
  const work = mkdtempSync(join(tmpdir(), 'eventpulse-bench-upload-'))
  const records = join(work, 'records')
  writeRecords(records, count)
  // The emulator takes only requests signed with these, as the local pipeline's own.
  const local = newLocalCredentials()
  const credentials = {
    AWS_ACCESS_KEY_ID: local.accessKeyId,
    AWS_SECRET_ACCESS_KEY: local.secretAccessKey,
    AWS_REGION: 'us-east-1',
  }
  const server = await startServer(join(work, 's3'), credentials)
  try {
    const contenders: Contender[] = [
      // Whole processes, like the others: Node start-up, loading the SDK and its first (unoptimised) requests included.
      processContender(
        'bare PutObject loop (ceiling)',
        process.execPath,
        (prefix) => [thisFile, '--bare', server.endpoint, records, `bare/${prefix}`],
        credentials,
      ),
      processContender(
        'bare PutObject loop, If-None-Match: *',
        process.execPath,
        (prefix) => [thisFile, '--bare-conditional', server.endpoint, records, `bare-conditional/${prefix}`],
        credentials,
      ),
      processContender(
        'eventpulse upload DIR (process, checks)',
        process.execPath,
        (prefix) => [
          join(root, 'bin/run.js'),
          'upload',
          records,
          '--prefix',
          `cli/${prefix}`,
          '--endpoint-url',
          server.endpoint,
          '--processing-bucket',
          BUCKET,
          '--concurrency',
          String(CONCURRENCY),
        ],
        {...credentials, XDG_CACHE_HOME: join(work, 'cache')},
      ),
    ]
    if (AWS_CLI) {
      const version = spawnSync(AWS_CLI, ['--version'], {encoding: 'utf8'}).stdout.trim()
      // The same concurrency as the others (the AWS CLI's default is 10).
      const config = join(work, 'aws-config')
      writeFileSync(config, `[default]\ns3 =\n  max_concurrent_requests = ${CONCURRENCY}\n`)
      contenders.push(
        processContender(
          `aws s3 cp --recursive (${version.split(' ')[0]})`,
          AWS_CLI,
          (prefix) => [
            's3',
            'cp',
            '--recursive',
            '--only-show-errors',
            records,
            `s3://${BUCKET}/awscli/${prefix}/`,
            '--endpoint-url',
            server.endpoint,
          ],
          // Plain bodies: aws-chunked checksum framing would be stored as is by s3rver.
          {...credentials, AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_CONFIG_FILE: config},
        ),
      )
    }
    const times = await measure(contenders)

    const upload = times[2]
    console.log(
      `\nUploading ${count} small records to s3rver on loopback, concurrency ${CONCURRENCY}, ` +
        `median of ${RUNS} interleaved rounds, each a whole process`,
    )
    console.log(
      `  ${''.padEnd(44)} ${'time'.padStart(9)}  ${'objects/s'.padStart(9)}   upload's objects/s relative to it`,
    )
    for (const [index, {name}] of contenders.entries())
      console.log(
        `  ${name.padEnd(44)} ${times[index].toFixed(0).padStart(6)} ms  ` +
          `${((count / times[index]) * 1000).toFixed(0).padStart(9)}   ${(times[index] / upload).toFixed(2)}x`,
      )
    if (!AWS_CLI) console.log('  aws s3 cp --recursive: skipped, `aws` is not on the PATH (apt-get install awscli)')
    console.log(
      '  Targets: upload >= 0.80x the bare loop, >= 1.3x aws s3 cp. Every row is a whole process, start-up included.',
    )
  } finally {
    server.stop()
    rmSync(work, {recursive: true, force: true})
  }
}

const [mode, ...rest] = process.argv.slice(2)
if (mode === '--serve') await serveS3(rest[0])
else if (mode === '--bare' || mode === '--bare-conditional')
  await bareLoop(rest[0], rest[1], rest[2], mode === '--bare-conditional')
else await main()
