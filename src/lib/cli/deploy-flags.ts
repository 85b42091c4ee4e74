import {Flags} from '@oclif/core'

import {commonFlags} from './common-flags.js'
import type {DeployConfigFlags} from '#deploy/config.js'

/** Flags shared by deploy and destroy: which stack, where, as whom, from which configuration file. */
export const stackTargetFlags = {
  config: Flags.string({
    char: 'c',
    description:
      'JSON configuration file (comments allowed) with any of: stackName, region, profile, email, ' +
      'notifyQuarantinedOnly, trustedPrincipals, destroyDataOnDelete, ' +
      'replicaRegions, stuckAfter, processingBucketName, quarantineBucketName. Flags take precedence.',
  }),
  stack: commonFlags.stack,
  region: commonFlags.region,
  profile: commonFlags.profile,
  yes: commonFlags.yes,
  verbose: Flags.boolean({description: "Show the toolkit's debug messages as well."}),
}

/** Which flags were given on the command line: only those override the configuration file (oclif fills in defaults). */
export function givenFlags(raw: Array<{type: string; flag?: string}>): Set<string> {
  return new Set(raw.flatMap((token) => (token.type === 'flag' && token.flag ? [token.flag] : [])))
}

/** The configuration settings among parsed flags, keeping only those given on the command line. */
export function configFlags(flags: Record<string, unknown>, given: Set<string>): DeployConfigFlags {
  const value = <T>(name: string): T | undefined => (given.has(name) ? (flags[name] as T) : undefined)
  return {
    stack: value('stack'),
    region: value('region'),
    profile: value('profile'),
    email: value('email'),
    notifyQuarantinedOnly: value('notify-quarantined-only'),
    trustedPrincipals: value('trusted-principal'),
    destroyDataOnDelete: value('destroy-data-on-delete'),
    replicaRegions: value('replica-region'),
    stuckAfter: value('stuck-after'),
  }
}
