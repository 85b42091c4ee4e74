import {randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {writeFileAtomically} from '#core/files.js'

/** The keys the local emulators take requests signed with: the owner's, nobody else's. */
export interface LocalCredentials {
  accessKeyId: string
  secretAccessKey: string
}

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
 * The data directory's credentials: made (owner-only, 0600) the first time, then the same at every start, so that a
 * client configured with them (`eventpulse local env`) keeps working; `local reset` deletes them with the data.
 * A file that is not a pair (damaged) is replaced by a new pair.
 */
export async function dataDirCredentials(file: string): Promise<LocalCredentials> {
  const saved = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined)
  if (isLocalCredentials(saved)) return {accessKeyId: saved.accessKeyId, secretAccessKey: saved.secretAccessKey}
  const credentials = newLocalCredentials()
  await writeFileAtomically(file, JSON.stringify(credentials, null, 2) + '\n', {mode: 0o600})
  return credentials
}
