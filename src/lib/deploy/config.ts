import {readFile} from 'node:fs/promises'

import {parse as parseJsonc, type ParseError, printParseErrorCode} from 'jsonc-parser'

import {defaultStackConfig, type EventPulseStackConfig} from '../../../infra/stack-config.js'
import {
  DEPLOY_SETTINGS,
  type DeployOnlySettings,
  type DeploySettingsFile,
  type DeploySettingsFlags,
  deploySettings,
  SETTING_KINDS,
  type SettingProblem,
  settingsConflict,
} from '#contract/deploy-settings.js'
import {usageError} from '#core/errors.js'
import {parseDuration} from '#core/duration.js'

/** What the deploy and destroy commands act on: the stack configuration plus whose credentials to use. */
export type DeployConfig = EventPulseStackConfig & DeployOnlySettings

/**
 * The configuration file's keys (JSON, comments allowed), one per deploy setting; flags given on the command line take
 * precedence.
 */
export type DeployConfigFile = DeploySettingsFile

/** Settings given on the command line; undefined means "not given", so the file's value (or the default) applies. */
export type DeployConfigFlags = DeploySettingsFlags

function fail(problem: SettingProblem): never {
  throw usageError(problem.message, problem.hint)
}

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
    const setting = Object.hasOwn(DEPLOY_SETTINGS, key)
      ? DEPLOY_SETTINGS[key as keyof typeof DEPLOY_SETTINGS]
      : undefined
    if (!setting)
      throw usageError(
        `${path}: unknown setting "${key}".`,
        `Known settings: ${Object.keys(DEPLOY_SETTINGS).join(', ')}.`,
      )
    const kind = SETTING_KINDS[setting.kind]
    if (!kind.accepts(value)) throw usageError(`${path}: "${key}" must be ${kind.written}.`)
  }
  return document as DeployConfigFile
}

/**
 * Merges flags over the configuration file over the defaults, and checks every value before anything is synthesized.
 */
export function resolveDeployConfig(flags: DeployConfigFlags, file: DeployConfigFile = {}): DeployConfig {
  const config: Record<string, unknown> = defaultStackConfig()
  const given: Record<string, unknown> = flags
  const written: Record<string, unknown> = file
  for (const setting of deploySettings()) {
    const fromFlag = setting.flag ? given[setting.flag.passedAs ?? setting.key] : undefined
    // An empty list on the command line gives nothing: the file's list applies.
    const fromCommandLine = Array.isArray(fromFlag) && fromFlag.length === 0 ? undefined : fromFlag
    const value = fromCommandLine !== undefined ? fromCommandLine : written[setting.key]
    if (value === undefined) {
      config[setting.prop] ??= undefined
      continue
    }
    let held: unknown = value
    if (setting.kind === 'duration') held = typeof value === 'number' ? value : parseDuration(value as string)
    if (setting.distinct) held = [...new Set(held as string[])]
    for (const element of setting.kind === 'string-list' ? (held as string[]) : [held]) {
      const problem = setting.check?.(element, value)
      if (problem) fail(problem)
    }
    config[setting.prop] = held
  }
  // A --profile flag, then the file's profile, then AWS_PROFILE.
  config.profile ??= process.env.AWS_PROFILE || undefined
  const conflict = settingsConflict(config as DeployConfig)
  if (conflict) fail(conflict)
  return config as DeployConfig
}
