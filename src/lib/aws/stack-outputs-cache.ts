import {createHash} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {writeFileAtomically} from '#core/files.js'
import {cacheDir} from '#core/paths.js'

/**
 * Which deployed stack a set of outputs belongs to: the same stack name can exist per profile, region, endpoint
 * (AWS, or an emulator behind --endpoint-url) and account. Outputs cached for one are never used for another.
 */
export interface StackCacheTarget {
  profile?: string
  region: string
  stack: string
  /** The CloudFormation endpoint the outputs came from; undefined for AWS itself. */
  endpoint?: string
  /**
   * The account, where one was resolved (every command that reaches AWS asks STS): a cache written for another
   * account, or for none, is then a miss. Left out only offline (`validate`) and for emulators.
   */
  account?: string
}

/** Characters kept in a path segment; anything else (slashes, dots at the start) could leave the cache directory. */
function safeSegment(value: string): string {
  const cleaned = value.replaceAll(/[^A-Za-z0-9_.@=+-]/g, '_').replace(/^\.+/, '_')
  return cleaned || '_'
}

/** A folder per endpoint other than AWS's, named by a digest (an endpoint URL makes a poor file name). */
const endpointSegment = (endpoint: string): string =>
  `endpoint-${createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}`

export function stackOutputsCacheFile(target: StackCacheTarget, env: NodeJS.ProcessEnv = process.env): string {
  return join(
    cacheDir(env),
    'stacks',
    safeSegment(target.profile || 'default'),
    safeSegment(target.region),
    ...(target.endpoint ? [endpointSegment(target.endpoint)] : []),
    `${safeSegment(target.stack)}.json`,
  )
}

interface CacheDocument {
  stack: string
  region: string
  profile: string
  endpoint?: string
  account?: string
  savedAt: string
  outputs: Record<string, string>
}

/** Saves a stack's outputs (written after a deploy, or after a DescribeStacks on a cache miss). Owner-only file. */
export async function writeStackOutputsCache(
  target: StackCacheTarget,
  outputs: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const document: CacheDocument = {
    stack: target.stack,
    region: target.region,
    profile: target.profile || 'default',
    endpoint: target.endpoint,
    account: target.account,
    savedAt: new Date().toISOString(),
    outputs,
  }
  // Whole or not at all, so a concurrent reader never sees half a file.
  await writeFileAtomically(stackOutputsCacheFile(target, env), JSON.stringify(document, null, 2) + '\n', {mode: 0o600})
}

/** The cached outputs, or undefined when none are cached or the file is unreadable (a cache miss, never an error). */
export async function readStackOutputsCache(
  target: StackCacheTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string> | undefined> {
  try {
    const document = JSON.parse(await readFile(stackOutputsCacheFile(target, env), 'utf8')) as Partial<CacheDocument>
    const outputs = document.outputs
    if (!outputs || typeof outputs !== 'object') return undefined
    // The file's place already says which endpoint; its contents must agree (a copied or hand-edited file may not).
    if ((document.endpoint ?? undefined) !== target.endpoint) return undefined
    if (target.account && document.account !== target.account) return undefined
    return Object.fromEntries(Object.entries(outputs).filter(([, value]) => typeof value === 'string'))
  } catch {
    return undefined
  }
}

/**
 * The regions where outputs of this stack are cached for the profile (written by `deploy`, or by any command that
 * reached the stack there), sorted: where the stack is when a command was given no region. Emulators' are left out.
 */
export async function cachedStackRegions(
  target: Pick<StackCacheTarget, 'profile' | 'stack'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const profileDirectory = join(cacheDir(env), 'stacks', safeSegment(target.profile || 'default'))
  const regions = await readdir(profileDirectory).catch(() => [])
  const found = await Promise.all(
    regions.map((region) =>
      readFile(join(profileDirectory, region, `${safeSegment(target.stack)}.json`)).then(
        () => region,
        () => undefined,
      ),
    ),
  )
  return found.filter((region) => region !== undefined).sort()
}
