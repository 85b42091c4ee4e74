import {DEFAULT_STACK_NAME, DEFAULT_STUCK_AFTER_SECONDS, SWEEP_LIMITS} from './pipeline-contract.js'
import {DEFAULT_HISTORY_RETENTION_SECONDS} from './table.js'

/**
 * Every deploy setting, once: its configuration-file key, its command-line flag, how it is written, what it means,
 * its default and what makes a value valid. The deploy and destroy flags (cli/deploy-flags), the configuration file
 * (deploy/config) and the CDK stack's configuration (infra/stack-config) are all made from this table.
 * Pure data and pure checks: no oclif, no CDK.
 */

/** What went wrong with a value, in the words the user sees (the reader of the table makes it a usage error). */
export interface SettingProblem {
  message: string
  hint?: string
}

/** How a value is written: in the file as JSON, on the command line as a flag. */
export const SETTING_KINDS = {
  /** A string; `--flag <value>`. */
  string: {written: 'a string', accepts: (value: unknown) => typeof value === 'string'},
  /** true or false; `--flag` / `--no-flag`. */
  boolean: {written: 'a boolean', accepts: (value: unknown) => typeof value === 'boolean'},
  /** A list of strings; a repeatable flag. */
  'string-list': {
    written: 'a list of strings',
    accepts: (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string'),
  },
  /** A duration such as "90m", "1h", "2d" (in the file also a number of seconds); held as seconds. */
  duration: {
    written: 'a duration such as "1h"',
    accepts: (value: unknown) => typeof value === 'string' || typeof value === 'number',
  },
  /** A whole number; `--flag <n>`. */
  integer: {written: 'a whole number', accepts: (value: unknown) => Number.isInteger(value)},
} as const

export type SettingKind = keyof typeof SETTING_KINDS

/** The value a setting holds once read, by kind (durations in seconds). */
interface HeldValue {
  string: string
  boolean: boolean
  'string-list': string[]
  duration: number
  integer: number
}

/** The value as written in the configuration file, by kind. */
interface FileValue {
  string: string
  boolean: boolean
  'string-list': string[]
  duration: string | number
  integer: number
}

/** The value of the parsed flag, by kind. */
interface FlagValue {
  string: string
  boolean: boolean
  'string-list': string[]
  duration: string
  integer: number
}

export interface SettingFlag {
  /** The flag's name, without dashes. */
  name: string
  char?: string
  /** The setting names the stack or how to reach it, so `destroy` takes the flag too (otherwise only `deploy`). */
  target?: true
  /** The name the flag's value goes by among the command-line settings (DeployConfigFlags); the file key otherwise. */
  passedAs?: string
}

export interface DeploySetting<K extends SettingKind = SettingKind> {
  kind: K
  /** The command-line flag; null for a setting only the configuration file can give. */
  flag: SettingFlag | null
  /** What the setting means: the flag's help, and what the configuration-file key is for. */
  description: string
  /** The property of the resolved configuration (and of the stack's configuration) the setting fills. */
  prop: string
  /** false: the setting says how to deploy (credentials), not what; the stack never sees it. */
  inStack?: false
  /** What the setting holds when nobody gives it; without one it stays undefined. */
  default?: K extends 'string-list' ? readonly string[] : HeldValue[K]
  /** Lists only: repeated values count once. */
  distinct?: true
  /** What is wrong with a value (each element of a list), if anything; `written` is the value as given. */
  check?: (value: K extends 'string-list' ? string : HeldValue[K], written: unknown) => SettingProblem | undefined
}

/** A setting of any one kind, its default and check typed by that kind. */
type AnyDeploySetting = {[K in SettingKind]: DeploySetting<K>}[SettingKind]

/** One entry of the table as code that reads every entry alike sees it. */
export interface DeploySettingEntry {
  key: DeploySettingKey
  kind: SettingKind
  flag: SettingFlag | null
  description: string
  prop: string
  inStack?: false
  default?: unknown
  distinct?: true
  /** Called with a value of the entry's kind (each element of a list). */
  check?: (value: unknown, written: unknown) => SettingProblem | undefined
}

const DAY_SECONDS = 24 * 3600
const DEFAULT_MFA_MAX_AGE_SECONDS = 3600
const DEFAULT_ACCESS_LOG_RETENTION_DAYS = 365
const DEFAULT_PROCESSOR_CONCURRENCY = 10

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/
// Deliberately loose: SNS sends a confirmation mail, which is the real check.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** A 12-digit AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/
/**
 * An IAM ARN a trust policy can name: a user or role (with its path), or an account's root. Not a group, nor a
 * wildcard: IAM refuses both in a trust policy, but only once the stack is deploying.
 */
export const TRUSTED_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|(user|role)\/[\w+=,.@/-]+)$/

/** A trusted principal as configured: a 12-digit account id or an IAM ARN (user, role, or account root). */
export function isValidTrustedPrincipal(value: string): boolean {
  return ACCOUNT_ID.test(value) || TRUSTED_PRINCIPAL_ARN.test(value)
}

function stackNameProblem(name: string): SettingProblem | undefined {
  if (!STACK_NAME.test(name))
    return {
      message: `Invalid stack name "${name}".`,
      hint: 'A stack name starts with a letter and holds only letters, digits and hyphens (at most 128).',
    }
}

function regionProblem(region: string): SettingProblem | undefined {
  if (!REGION.test(region)) return {message: `Invalid region "${region}".`, hint: 'Regions look like eu-west-1.'}
}

function emailProblem(email: string): SettingProblem | undefined {
  if (!EMAIL.test(email)) return {message: `Invalid e-mail address "${email}".`}
}

function trustedPrincipalProblem(principal: string): SettingProblem | undefined {
  if (isValidTrustedPrincipal(principal)) return
  const why = /:group\//.test(principal)
    ? ' IAM cannot trust a group: name its users, or a role they assume.'
    : principal.includes('*')
      ? ' A trust policy cannot name principals by wildcard.'
      : ''
  return {
    message: `Invalid trusted principal "${principal}".${why}`,
    hint: 'Give a 12-digit account id or an IAM ARN (arn:aws:iam::<account>:role/<name>, :user/<name> or :root).',
  }
}

/** STS's own rule for an external id: 2 to 1224 characters of [\w+=,.@:/-]. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/

function externalIdProblem(id: string): SettingProblem | undefined {
  if (!EXTERNAL_ID.test(id))
    return {
      message: 'Invalid external id.',
      hint: 'An external id has 2 to 1224 characters: letters, digits and + = , . @ : / - _.',
    }
}

function stuckAfterProblem(seconds: number, written: unknown): SettingProblem | undefined {
  if (!Number.isInteger(seconds) || seconds <= 0)
    return {
      message: `Invalid stuck-object age: ${JSON.stringify(written)}.`,
      hint: 'Give a positive duration such as 30m, 1h or 2d.',
    }
}

/** EventBridge schedules run every whole number of minutes, at least one. */
function sweepEveryProblem(seconds: number, written: unknown): SettingProblem | undefined {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds % 60 !== 0)
    return {
      message: `Invalid sweep interval: ${JSON.stringify(written)}.`,
      hint: 'Give a whole number of minutes, at least one, such as 5m or 1h.',
    }
}

/** STS keeps an MFA-authenticated session for at most 36 hours. */
const MAX_MFA_AGE_SECONDS = 36 * 3600

function mfaMaxAgeProblem(seconds: number, written: unknown): SettingProblem | undefined {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_MFA_AGE_SECONDS)
    return {
      message: `Invalid MFA age: ${JSON.stringify(written)}.`,
      hint: 'Give a duration from 1m to 36h, such as 1h.',
    }
}

function accessLogRetentionProblem(seconds: number, written: unknown): SettingProblem | undefined {
  if (!Number.isInteger(seconds) || seconds < DAY_SECONDS || seconds % DAY_SECONDS !== 0)
    return {
      message: `Invalid access-log retention: ${JSON.stringify(written)}.`,
      hint: 'Give a whole number of days, at least one, such as 365d.',
    }
}

/** Lambda's own bounds on a function's reserved concurrency (an account has 1,000 by default). */
function processorConcurrencyProblem(count: number): SettingProblem | undefined {
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    return {
      message: `Invalid processor concurrency: ${count}.`,
      hint: 'Give a whole number from 1 to 1000 (and below your account concurrency limit).',
    }
}

/** DynamoDB TTL works in whole seconds; a day is the least that makes sense for a version kept to be looked at. */
function historyRetentionProblem(seconds: number, written: unknown): SettingProblem | undefined {
  if (!Number.isInteger(seconds) || seconds < DAY_SECONDS)
    return {
      message: `Invalid history retention: ${JSON.stringify(written)}.`,
      hint: 'Give a duration of at least one day, such as 90d or 365d.',
    }
}

function bucketNameProblem(name: string): SettingProblem | undefined {
  if (!BUCKET_NAME.test(name)) return {message: `Invalid bucket name "${name}".`}
}

/** The deploy settings, keyed by their configuration-file key, in the order the help lists them. */
export const DEPLOY_SETTINGS = {
  stackName: {
    kind: 'string',
    flag: {name: 'stack', target: true, passedAs: 'stack'},
    description: 'Name of the deployed EventPulse stack.',
    prop: 'stackName',
    default: DEFAULT_STACK_NAME,
    check: stackNameProblem,
  },
  region: {
    kind: 'string',
    flag: {name: 'region', target: true},
    // Undefined leaves the stack environment-agnostic: the credentials' region decides.
    description: "AWS region (default: AWS_REGION or the profile's region).",
    prop: 'region',
    check: regionProblem,
  },
  profile: {
    kind: 'string',
    flag: {name: 'profile', target: true},
    description: 'AWS profile from the shared config files (default: AWS_PROFILE or "default").',
    prop: 'profile',
    inStack: false,
  },
  email: {
    kind: 'string',
    flag: {name: 'email'},
    description: 'Subscribe this e-mail address to the notifications topic (it must confirm the subscription).',
    prop: 'email',
    check: emailProblem,
  },
  notifyQuarantinedOnly: {
    kind: 'boolean',
    flag: {name: 'notify-quarantined-only'},
    description: 'E-mail only quarantined outcomes (and the dead-letter alarms), not every stored record.',
    prop: 'notifyQuarantinedOnly',
    default: false,
  },
  trustedPrincipals: {
    kind: 'string-list',
    flag: {name: 'trusted-principal'},
    // Empty: this account (whoever its IAM policies allow).
    description:
      'Account id or IAM ARN allowed to assume the uploader and quarantine-admin roles; repeatable. ' +
      'Default: this account.',
    prop: 'trustedPrincipals',
    default: [],
    check: trustedPrincipalProblem,
  },
  externalId: {
    kind: 'string',
    flag: {name: 'external-id'},
    description:
      'External id (sts:ExternalId) the uploader and quarantine-admin roles require: for cross-account trust.',
    prop: 'externalId',
    check: externalIdProblem,
  },
  requireMfa: {
    kind: 'boolean',
    flag: {name: 'require-mfa'},
    description:
      'Only sessions signed in with MFA may assume the quarantine-admin role (default); ' +
      'deploy and doctor warn when it is turned off.',
    prop: 'requireMfa',
    default: true,
  },
  mfaMaxAge: {
    kind: 'duration',
    flag: {name: 'mfa-max-age'},
    description:
      'How long after signing in with MFA a session may still assume the quarantine-admin role ' +
      '(aws:MultiFactorAuthAge), e.g. 15m, 1h (default 1h).',
    prop: 'mfaMaxAgeSeconds',
    default: DEFAULT_MFA_MAX_AGE_SECONDS,
    check: mfaMaxAgeProblem,
  },
  accessLogRetention: {
    kind: 'duration',
    flag: {name: 'access-log-retention'},
    description:
      "How long the quarantine bucket's access log (who read, released or deleted what) is kept, " +
      'in whole days, e.g. 90d (default 365d).',
    prop: 'accessLogRetentionSeconds',
    default: DEFAULT_ACCESS_LOG_RETENTION_DAYS * DAY_SECONDS,
    check: accessLogRetentionProblem,
  },
  processorConcurrency: {
    kind: 'integer',
    flag: {name: 'processor-concurrency'},
    description:
      'Processor invocations that may run at once (reserved concurrency): bounds the write rate on the table ' +
      '(default 10).',
    prop: 'processorConcurrency',
    default: DEFAULT_PROCESSOR_CONCURRENCY,
    check: processorConcurrencyProblem,
  },
  tracing: {
    kind: 'boolean',
    flag: {name: 'tracing'},
    description: 'Trace the processor with AWS X-Ray (billed per trace; default off).',
    prop: 'tracing',
    default: false,
  },
  destroyDataOnDelete: {
    kind: 'boolean',
    flag: {name: 'destroy-data-on-delete'},
    description: 'Delete buckets, table, key and logs with the stack (default: keep them).',
    prop: 'destroyDataOnDelete',
    default: false,
  },
  replicaRegions: {
    kind: 'string-list',
    flag: {name: 'replica-region'},
    // Besides the stack's own region.
    description: 'Replicate the table to this region too; repeatable.',
    prop: 'replicaRegions',
    default: [],
    distinct: true,
    check: regionProblem,
  },
  stuckAfter: {
    kind: 'duration',
    flag: {name: 'stuck-after'},
    description:
      'How long an object may wait in processing before `status --stuck` reports it, e.g. 15m, 1h (default 15m).',
    prop: 'stuckAfterSeconds',
    default: DEFAULT_STUCK_AFTER_SECONDS,
    check: stuckAfterProblem,
  },
  sweepEvery: {
    kind: 'duration',
    flag: {name: 'sweep-every'},
    description:
      'How often the processor sweeps for objects whose event never came (older than the stuck age), ' +
      'e.g. 5m, 1h (default 5m).',
    prop: 'sweepEverySeconds',
    default: SWEEP_LIMITS.defaultEverySeconds,
    check: sweepEveryProblem,
  },
  historyRetention: {
    kind: 'duration',
    flag: {name: 'history-retention'},
    description:
      "How long an item's earlier versions are kept after it is replaced (`items history`, `items revert`), " +
      'e.g. 90d (default 365d).',
    prop: 'historyRetentionSeconds',
    default: DEFAULT_HISTORY_RETENTION_SECONDS,
    check: historyRetentionProblem,
  },
  uploaderMayReplace: {
    kind: 'boolean',
    flag: {name: 'uploader-may-replace'},
    description:
      'Let the uploader role send replacements (`upload --replace`); by default only the quarantine-admin role may.',
    prop: 'uploaderMayReplace',
    default: false,
  },
  // Bucket names were never offered as flags: only the configuration file sets them.
  processingBucketName: {
    kind: 'string',
    flag: null,
    description: 'Name of the processing bucket (default: generated by CloudFormation, so names never collide).',
    prop: 'processingBucketName',
    check: bucketNameProblem,
  },
  quarantineBucketName: {
    kind: 'string',
    flag: null,
    description: 'Name of the quarantine bucket (default: generated by CloudFormation, so names never collide).',
    prop: 'quarantineBucketName',
    check: bucketNameProblem,
  },
} as const satisfies Record<string, AnyDeploySetting>

type Settings = typeof DEPLOY_SETTINGS
export type DeploySettingKey = keyof Settings

/** The table as a list of entries, in order, each with its key. */
export function deploySettings(): DeploySettingEntry[] {
  return Object.entries(DEPLOY_SETTINGS).map(([key, setting]) => ({...setting, key}) as DeploySettingEntry)
}

type Held<S> = S extends {kind: infer K extends SettingKind} ? HeldValue[K] : never
type StackKeys = {[K in DeploySettingKey]: Settings[K] extends {inStack: false} ? never : K}[DeploySettingKey]
type WithDefault = {[K in DeploySettingKey]: Settings[K] extends {default: unknown} ? K : never}[DeploySettingKey]

/** What the stack is configured with, one property per setting: required when the setting has a default. */
export type StackSettings = {
  -readonly [K in Extract<StackKeys, WithDefault> as Settings[K]['prop']]: Held<Settings[K]>
} & {
  -readonly [K in Exclude<StackKeys, WithDefault> as Settings[K]['prop']]?: Held<Settings[K]>
}

/** The settings the stack never sees (whose credentials to deploy with), as resolved. */
export type DeployOnlySettings = {
  -readonly [K in Exclude<DeploySettingKey, StackKeys> as Settings[K]['prop']]?: Held<Settings[K]>
}

/** The configuration file's keys (JSON, comments allowed), as written. */
export type DeploySettingsFile = {
  -readonly [K in DeploySettingKey]?: Settings[K] extends {kind: infer Kind extends SettingKind}
    ? FileValue[Kind]
    : never
}

type FlagKeys = {[K in DeploySettingKey]: Settings[K]['flag'] extends null ? never : K}[DeploySettingKey]
type PassedAs<K extends DeploySettingKey> = Settings[K]['flag'] extends {passedAs: infer P extends string} ? P : K

/** The settings given as flags, each named as the flag's value is passed (`stack`, otherwise the file key). */
export type DeploySettingsFlags = {
  -readonly [K in FlagKeys as PassedAs<K>]?: Settings[K] extends {kind: infer Kind extends SettingKind}
    ? FlagValue[Kind]
    : never
}

/** Every setting's default, as the stack's configuration holds it (lists are fresh copies). */
export function stackSettingDefaults(): StackSettings {
  const defaults: Record<string, unknown> = {}
  for (const setting of deploySettings())
    if (setting.inStack !== false && setting.default !== undefined)
      defaults[setting.prop] = Array.isArray(setting.default) ? [...setting.default] : setting.default
  return defaults as StackSettings
}

/** What is wrong with a combination of settings that are each valid on their own, if anything. */
export function settingsConflict(settings: StackSettings): SettingProblem | undefined {
  if (settings.region && settings.replicaRegions.includes(settings.region))
    return {
      message: `Replica region ${settings.region} is the stack's own region.`,
      hint: 'List only the other regions the table is replicated to.',
    }
  if (settings.notifyQuarantinedOnly && !settings.email)
    return {
      message: '--notify-quarantined-only filters the e-mail subscription, but no e-mail address is given.',
      hint: 'Add --email.',
    }
}
