import {Flags} from '@oclif/core'
import type {AlphabetLowercase, AlphabetUppercase, BooleanFlag, OptionFlag} from '@oclif/core/interfaces'

import {commonFlags} from './common-flags.js'
import {DEPLOY_SETTINGS, type DeploySettingEntry, deploySettings} from '#contract/deploy-settings.js'
import type {DeployConfigFlags} from '#deploy/config.js'

/** The oclif flag for a deploy setting, made from its entry in the table: the kind decides the flag's type. */
function settingFlag(setting: DeploySettingEntry) {
  const {char, name} = setting.flag!
  const options = {
    description: setting.description,
    ...(char ? {char: char as AlphabetLowercase | AlphabetUppercase} : {}),
  }
  switch (setting.kind) {
    case 'boolean':
      // --no-<flag> overrides a true in the configuration file.
      return Flags.boolean({...options, allowNo: true})
    case 'string-list':
      return Flags.string({...options, multiple: true})
    case 'string':
      // Only a string default reads well in the help ("[default: EventPulse]"); the others say theirs in words.
      return Flags.string({...options, ...(typeof setting.default === 'string' ? {default: setting.default} : {})})
    case 'duration':
      return Flags.string(options)
    case 'integer':
      return Flags.integer(options)
    default:
      throw new Error(`No flag for a setting of kind ${(setting as DeploySettingEntry).kind} (${name}).`)
  }
}

type Settings = typeof DEPLOY_SETTINGS
type FlagOfKind<Kind> = Kind extends 'boolean'
  ? BooleanFlag<boolean>
  : Kind extends 'integer'
    ? OptionFlag<number | undefined>
    : OptionFlag<(Kind extends 'string-list' ? string[] : string) | undefined>
/** The settings' flags by name: those that name the stack (target) or the others, typed by the settings' kinds. */
type SettingFlags<Target extends boolean> = {
  [
    K in keyof Settings as Settings[K]['flag'] extends {name: infer Name extends string}
      ? (Settings[K]['flag'] extends {target: true} ? true : false) extends Target
        ? Name
        : never
      : never
  ]: FlagOfKind<Settings[K]['kind']>
}

function settingFlags<Target extends boolean>(target: Target): SettingFlags<Target> {
  return Object.fromEntries(
    deploySettings()
      .filter((setting) => setting.flag && (setting.flag.target === true) === target)
      .map((setting) => [setting.flag!.name, settingFlag(setting)]),
  ) as SettingFlags<Target>
}

/** Flags shared by deploy and destroy: which stack, where, as whom, from which configuration file. */
export const stackTargetFlags = {
  config: Flags.string({
    char: 'c',
    description:
      `JSON configuration file (comments allowed) with any of: ${Object.keys(DEPLOY_SETTINGS).join(', ')}. ` +
      `Flags take precedence.`,
  }),
  ...settingFlags(true),
  yes: commonFlags.yes,
  verbose: Flags.boolean({description: "Show the toolkit's debug messages and timings as well."}),
}

/** The deploy settings only `deploy` takes (what the stack is made with), in the table's order. */
export const deploySettingFlags = settingFlags(false)

/** Which flags were given on the command line: only those override the configuration file (oclif fills in defaults). */
export function givenFlags(raw: Array<{type: string; flag?: string}>): Set<string> {
  return new Set(raw.flatMap((token) => (token.type === 'flag' && token.flag ? [token.flag] : [])))
}

/** The configuration settings among parsed flags, keeping only those given on the command line. */
export function configFlags(flags: Record<string, unknown>, given: Set<string>): DeployConfigFlags {
  return Object.fromEntries(
    deploySettings().flatMap(({flag, key}) =>
      flag ? [[flag.passedAs ?? key, given.has(flag.name) ? flags[flag.name] : undefined]] : [],
    ),
  )
}
