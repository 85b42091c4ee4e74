import {readFile} from 'node:fs/promises'

import {parse as parseJsonc, type ParseError, printParseErrorCode} from 'jsonc-parser'

import {isValidTrustedPrincipal} from '../../../infra/access.js'
import {defaultStackConfig, type EventPulseStackConfig} from '../../../infra/stack-config.js'
import {usageError} from '#core/errors.js'
import {parseDuration} from '#core/duration.js'

/** What the deploy and destroy commands act on: the stack configuration plus whose credentials to use. */
export interface DeployConfig extends EventPulseStackConfig {
  profile?: string
}

/** The configuration file's keys (JSON, comments allowed); flags given on the command line take precedence. */
export interface DeployConfigFile {
  stackName?: string
  region?: string
  profile?: string
  email?: string
  notifyQuarantinedOnly?: boolean
  trustedPrincipals?: string[]
  destroyDataOnDelete?: boolean
  replicaRegions?: string[]
  /** A duration such as "90m", "1h", "2d", or seconds as a number. */
  stuckAfter?: string | number
  processingBucketName?: string
  quarantineBucketName?: string
}

const FILE_KEYS: Record<keyof DeployConfigFile, 'string' | 'boolean' | 'string[]' | 'duration'> = {
  stackName: 'string',
  region: 'string',
  profile: 'string',
  email: 'string',
  notifyQuarantinedOnly: 'boolean',
  trustedPrincipals: 'string[]',
  destroyDataOnDelete: 'boolean',
  replicaRegions: 'string[]',
  stuckAfter: 'duration',
  processingBucketName: 'string',
  quarantineBucketName: 'string',
}

/** The stuck-object age in seconds: a duration such as "90m", "1h", "2d" (or, in the file, a number of seconds). */
function stuckAfterSeconds(value: string | number): number {
  const seconds = typeof value === 'number' ? value : parseDuration(value)
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw usageError(
      `Invalid stuck-object age: ${JSON.stringify(value)}.`,
      'Give a positive duration such as 30m, 1h or 2d.',
    )
  return seconds
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/
// Deliberately loose: SNS sends a confirmation mail, which is the real check.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

export async function readConfigFile(path: string): Promise<DeployConfigFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw usageError(
      `Cannot read the configuration file ${path}: ${(error as Error).message}`,
      'Check the --config path.',
    )
  }
  const errors: ParseError[] = []
  const document = parseJsonc(text, errors, {allowTrailingComma: true})
  if (errors.length > 0)
    throw usageError(
      `${path} is not valid JSON: ${printParseErrorCode(errors[0].error)} at offset ${errors[0].offset}.`,
    )
  if (!document || typeof document !== 'object' || Array.isArray(document))
    throw usageError(`${path} must hold a JSON object.`)
  for (const [key, value] of Object.entries(document)) {
    const kind = FILE_KEYS[key as keyof DeployConfigFile]
    if (!kind)
      throw usageError(`${path}: unknown setting "${key}".`, `Known settings: ${Object.keys(FILE_KEYS).join(', ')}.`)
    const ok =
      kind === 'string[]'
        ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : kind === 'duration'
          ? typeof value === 'string' || typeof value === 'number'
          : typeof value === kind
    if (!ok) {
      const expected =
        kind === 'string[]' ? 'a list of strings' : kind === 'duration' ? 'a duration such as "1h"' : `a ${kind}`
      throw usageError(`${path}: "${key}" must be ${expected}.`)
    }
  }
  return document as DeployConfigFile
}

/** Settings given on the command line; undefined means "not given", so the file's value (or the default) applies. */
export type DeployConfigFlags = Omit<
  DeployConfigFile,
  'stackName' | 'stuckAfter' | 'processingBucketName' | 'quarantineBucketName'
> & {
  stack?: string
  stuckAfter?: string
}

/**
 * Merges flags over the configuration file over the defaults, and checks every value before anything is synthesized.
 */
export function resolveDeployConfig(flags: DeployConfigFlags, file: DeployConfigFile = {}): DeployConfig {
  const pick = <T>(flag: T | undefined, fromFile: T | undefined): T | undefined =>
    flag !== undefined ? flag : fromFile
  const list = (flag: string[] | undefined, fromFile: string[] | undefined) =>
    flag && flag.length > 0 ? flag : (fromFile ?? [])
  const stuckAfter = pick<string | number>(flags.stuckAfter, file.stuckAfter)
  const config: DeployConfig = {
    ...defaultStackConfig(),
    // A --profile flag, then the file's profile, then AWS_PROFILE.
    profile: pick(flags.profile, file.profile) ?? (process.env.AWS_PROFILE || undefined),
    region: pick(flags.region, file.region),
    email: pick(flags.email, file.email),
    notifyQuarantinedOnly: pick(flags.notifyQuarantinedOnly, file.notifyQuarantinedOnly) ?? false,
    trustedPrincipals: list(flags.trustedPrincipals, file.trustedPrincipals),
    destroyDataOnDelete: pick(flags.destroyDataOnDelete, file.destroyDataOnDelete) ?? false,
    replicaRegions: [...new Set(list(flags.replicaRegions, file.replicaRegions))],
    processingBucketName: file.processingBucketName,
    quarantineBucketName: file.quarantineBucketName,
  }
  config.stackName = pick(flags.stack, file.stackName) ?? config.stackName
  if (stuckAfter !== undefined) config.stuckAfterSeconds = stuckAfterSeconds(stuckAfter)
  validate(config)
  return config
}

function validate(config: DeployConfig): void {
  if (!STACK_NAME.test(config.stackName))
    throw usageError(
      `Invalid stack name "${config.stackName}".`,
      'A stack name starts with a letter and holds only letters, digits and hyphens (at most 128).',
    )
  for (const region of [config.region, ...config.replicaRegions])
    if (region !== undefined && !REGION.test(region))
      throw usageError(`Invalid region "${region}".`, 'Regions look like eu-west-1.')
  if (config.region && config.replicaRegions.includes(config.region))
    throw usageError(
      `Replica region ${config.region} is the stack's own region.`,
      'List only the other regions the table is replicated to.',
    )
  if (config.email !== undefined && !EMAIL.test(config.email))
    throw usageError(`Invalid e-mail address "${config.email}".`)
  if (config.notifyQuarantinedOnly && !config.email)
    throw usageError(
      '--notify-quarantined-only filters the e-mail subscription, but no e-mail address is given.',
      'Add --email.',
    )
  for (const principal of config.trustedPrincipals)
    if (!isValidTrustedPrincipal(principal))
      throw usageError(
        `Invalid trusted principal "${principal}".`,
        'Give a 12-digit account id or an IAM ARN (arn:aws:iam::<account>:role/<name>, :user/<name> or :root).',
      )
  for (const name of [config.processingBucketName, config.quarantineBucketName])
    if (name !== undefined && !BUCKET_NAME.test(name)) throw usageError(`Invalid bucket name "${name}".`)
}
