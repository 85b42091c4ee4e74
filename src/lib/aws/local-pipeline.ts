import {readFile} from 'node:fs/promises'

import {CliError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {localStateFile} from '../paths.js'

/** What a `--local` command needs to know of the running local pipeline. */
export interface LocalPipelineTarget {
  region: string
  endpoints: {s3: string; dynamodb: string}
  resources: {processingBucket: string; quarantineBucket: string; table: string}
}

function notRunning(detail: string): CliError {
  return new CliError(`The local pipeline is not running (${detail}).`, {
    exitCode: ExitCode.Aws,
    code: 'LocalPipelineNotRunning',
    hint: 'Start it with `eventpulse local start` (in another terminal), or run `eventpulse demo`.',
  })
}

/** Reads the state `eventpulse local start` writes while it runs. */
export async function readLocalPipelineTarget(): Promise<LocalPipelineTarget> {
  const file = localStateFile()
  let state: Record<string, any>
  try {
    state = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    throw notRunning(`no readable ${file}`)
  }
  if (typeof state.pid === 'number' && !processAlive(state.pid)) throw notRunning(`its process ${state.pid} has ended`)
  const target: LocalPipelineTarget = {
    region: state.region ?? 'us-east-1',
    endpoints: {s3: state.endpoints?.s3, dynamodb: state.endpoints?.dynamodb},
    resources: {
      processingBucket: state.buckets?.processing ?? state.processingBucket,
      quarantineBucket: state.buckets?.quarantine ?? state.quarantineBucket,
      table: state.table ?? state.tableName,
    },
  }
  if (!target.endpoints.s3 || !target.endpoints.dynamodb) throw notRunning(`${file} names no endpoints`)
  return target
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
