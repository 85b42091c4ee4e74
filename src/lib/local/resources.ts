import {REPLACE_PREFIX, SELFTEST_PREFIX} from '#contract/pipeline-contract.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {PipelineRole} from '#aws/credentials.js'
import {dataDirCredentials, type LocalCredentials} from './credentials.js'
import {type Emulator, type S3Emulator, startDynamoDb, startS3} from './emulators.js'
import type {LocalLayout} from './state.js'
import {LOCAL_RESOURCES, type LocalClients, localClients, type LocalEmulatorAddress} from './target.js'

/** What to undo when the pipeline stops (or fails to start): run last first, each once, failures ignored. */
export class CleanupStack {
  private readonly cleanups: (() => Promise<unknown>)[] = []

  push(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup)
  }

  async run(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  }
}

export interface LocalEmulators {
  dynamodb: Emulator
  /** With the processing and quarantine buckets. */
  s3: S3Emulator
  /** Their endpoints, and the pipeline's own keys. */
  address: LocalEmulatorAddress
  /** The keys each stack role's `--local` commands sign with. */
  roleCredentials: Record<PipelineRole, LocalCredentials>
}

function portError(error: unknown, what: string, port: number): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') return error
  return new CliError(`Port ${port} for the local ${what} is in use.`, {
    exitCode: ExitCode.Usage,
    code: 'PortInUse',
    hint: `Pick another with --${what === 'S3' ? 's3' : 'dynamodb'}-port (0 picks a free one).`,
  })
}

/** The roles that may write replacements: the quarantine admin, and the uploader when the setting says so. */
const replacingRoles = (uploaderMayReplace = false): PipelineRole[] =>
  uploaderMayReplace ? ['quarantineAdmin', 'uploader'] : ['quarantineAdmin']

/**
 * Starts dynalite and s3rver (with the buckets) on their ports, keeping their data below the layout's directories and
 * answering only requests signed with one of the data directory's pairs of keys (the pipeline's, each role's); each
 * is closed by the cleanup stack. A port in use is a usage error naming the flag that picks another.
 */
export async function startLocalEmulators(
  layout: LocalLayout,
  options: {host: string; s3Port?: number; dynamodbPort?: number; uploaderMayReplace?: boolean},
  cleanups: CleanupStack,
): Promise<LocalEmulators> {
  const {host} = options
  const keyring = await dataDirCredentials(layout.credentialsFile)
  const credentials = Object.values(keyring)
  const dynamodbPort = options.dynamodbPort ?? 0
  const dynamodb = await startDynamoDb({path: layout.dynamodbDirectory, host, port: dynamodbPort, credentials}).catch(
    (error) => {
      throw portError(error, 'DynamoDB', dynamodbPort)
    },
  )
  cleanups.push(() => dynamodb.close())
  const s3Port = options.s3Port ?? 0
  const s3 = await startS3({
    directory: layout.s3Directory,
    setAsideDirectory: layout.damagedDirectory,
    host,
    port: s3Port,
    credentials,
    buckets: [LOCAL_RESOURCES.processingBucket, LOCAL_RESOURCES.quarantineBucket],
    conditionalWritesOnly: [LOCAL_RESOURCES.processingBucket],
    reservedPrefixes: [
      {
        bucket: LOCAL_RESOURCES.processingBucket,
        prefix: REPLACE_PREFIX,
        allowedKeys: replacingRoles(options.uploaderMayReplace).map((role) => keyring[role].accessKeyId),
      },
      {
        bucket: LOCAL_RESOURCES.processingBucket,
        prefix: SELFTEST_PREFIX,
        allowedKeys: [keyring.selftest.accessKeyId],
      },
    ],
  }).catch((error) => {
    throw portError(error, 'S3', s3Port)
  })
  cleanups.push(() => s3.close())
  const {pipeline, ...roleCredentials} = keyring
  return {
    dynamodb,
    s3,
    address: {endpoints: {s3: s3.endpoint, dynamodb: dynamodb.endpoint}, credentials: pipeline},
    roleCredentials,
  }
}

/**
 * Settles when the first emulator fails (its server errs or closes under it), with the error that stops the pipeline:
 * it names the emulator and ends `local start` with exit 4. Never settles while both run.
 */
export function emulatorFailure(emulators: LocalEmulators): Promise<CliError> {
  const failed = (what: string) => (error: Error) =>
    new CliError(`The local ${what} stopped working: ${error.message}. The local pipeline stopped.`, {
      exitCode: ExitCode.Aws,
      code: 'LocalEmulatorFailed',
      hint: 'Start it again with `eventpulse local start`: objects not yet handled are processed then.',
      cause: error,
    })
  return Promise.race([
    emulators.dynamodb.failure.then(failed('DynamoDB (dynalite)')),
    emulators.s3.failure.then(failed('S3 (s3rver)')),
  ])
}

/** Clients for the emulators, destroyed by the cleanup stack. */
export function emulatorClients(
  address: LocalEmulatorAddress,
  config: {maxAttempts?: number},
  cleanups: CleanupStack,
): LocalClients {
  const {s3, dynamodb} = localClients(address, config)
  cleanups.push(async () => {
    s3.destroy()
    dynamodb.destroy()
  })
  return {s3, dynamodb}
}
