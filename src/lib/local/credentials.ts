import {randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import type {PipelineRole} from '#aws/credentials.js'
import {writeFileAtomically} from '#core/files.js'

/** One pair of keys the local emulators take requests signed with. */
export interface LocalCredentials {
  accessKeyId: string
  secretAccessKey: string
}

/**
 * The owner's keys, one random pair per signer: the pipeline's own (its processor, sweeper and status), and one per
 * stack role its `--local` commands act as. The emulators take all of them (SigV4); the local S3 tells the roles
 * apart by which pair signed, to let only the allowed ones write replacements and canaries, as IAM does on AWS.
 */
export type LocalKeyring = Record<'pipeline' | PipelineRole, LocalCredentials>

const SIGNERS = ['pipeline', 'uploader', 'quarantineAdmin', 'selftest'] as const

/**
 * A fresh random pair, shaped like AWS keys (20 upper-case letters and digits; 40 characters of base64) so that tools
 * checking the shape take them.
 */
export function newLocalCredentials(): LocalCredentials {
  return {
    accessKeyId: `EPL${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  }
}

function isLocalCredentials(value: unknown): value is LocalCredentials {
  const {accessKeyId, secretAccessKey} = (value ?? {}) as Partial<LocalCredentials>
  return (
    typeof accessKeyId === 'string' &&
    accessKeyId !== '' &&
    typeof secretAccessKey === 'string' &&
    secretAccessKey !== ''
  )
}

/**
 * The data directory's keyring: made (owner-only, 0600) the first time, then the same at every start, so that a
 * client configured with it (`eventpulse local env`) keeps working; `local reset` deletes it with the data.
 * A signer without a pair (one added by a newer version, or a damaged file) gets a new one; the others keep theirs.
 */
export async function dataDirCredentials(file: string): Promise<LocalKeyring> {
  const saved = (await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined)) as Partial<Record<string, unknown>> | undefined
  const pairOf = (signer: string): LocalCredentials | undefined => {
    const pair = saved?.[signer]
    return isLocalCredentials(pair) ? {accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey} : undefined
  }
  const keyring = Object.fromEntries(
    SIGNERS.map((signer) => [signer, pairOf(signer) ?? newLocalCredentials()]),
  ) as LocalKeyring
  if (SIGNERS.some((signer) => !pairOf(signer)))
    await writeFileAtomically(file, JSON.stringify(keyring, null, 2) + '\n', {mode: 0o600})
  return keyring
}
