import {join} from 'node:path'

import {usageError} from '#core/errors.js'
import {cacheDir} from '#core/paths.js'
import type {DeployConfig} from './config.js'
import {explainToolkitError, nagStop, openToolkitSession} from './toolkit.js'

/** Where the cloud assembly goes unless --output says otherwise. */
export function defaultAssemblyDir(stackName: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'cdk.out', stackName)
}

export interface ResourceTypeCount {
  type: string
  count: number
}

export interface DryRunResult {
  stack: string
  /** null when offline nothing names it: the deploy itself would take the credentials' region. */
  region: string | null
  /** Why the region is null. */
  regionNote?: string
  assemblyDir: string
  templateFile: string
  resourceCount: number
  resources: ResourceTypeCount[]
  outputs: string[]
  dataRetention: 'retain' | 'destroy'
}

/**
 * Synthesizes the stack into a directory and tells what it would create: offline, with no credentials and no AWS call.
 */
export async function dryRunDeploy(config: DeployConfig, assemblyDir: string): Promise<DryRunResult> {
  // Offline, no profile is consulted: the region is the flag's, the file's or the environment's.
  const region = config.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined)
  if (!region && config.replicaRegions.length > 0)
    throw usageError(
      "Replica regions need the stack's own region to be known.",
      'Pass --region (or set AWS_REGION) along with --replica-region.',
    )
  const session = await openToolkitSession({
    config: {...config, region},
    outdir: assemblyDir,
    answer: async () => false,
    nag: true,
  })
  const cached = await session.toolkit.synth(session.source, {stacks: session.stacks}).catch(async (error: unknown) => {
    throw (await nagStop(session.lib, error, assemblyDir)) ?? explainToolkitError(session.lib, error)
  })
  try {
    const stack = (await cached.produce()).cloudAssembly.getStackByName(config.stackName)
    const resources = Object.values((stack.template.Resources ?? {}) as Record<string, {Type: string}>)
    const counts = new Map<string, number>()
    for (const {Type} of resources) counts.set(Type, (counts.get(Type) ?? 0) + 1)
    return {
      stack: config.stackName,
      region: region ?? null,
      ...(region ? {} : {regionNote: NO_REGION_NOTE}),
      assemblyDir,
      templateFile: join(assemblyDir, stack.templateFile),
      resourceCount: resources.length,
      resources: [...counts].map(([type, count]) => ({type, count})).sort((a, b) => a.type.localeCompare(b.type)),
      outputs: Object.keys(stack.template.Outputs ?? {}).sort(),
      dataRetention: config.destroyDataOnDelete ? 'destroy' : 'retain',
    }
  } finally {
    await cached.dispose()
  }
}

const NO_REGION_NOTE =
  'No region given (--region, AWS_REGION): the deploy would use the region of your credentials (the profile).'

export function formatDryRun(result: DryRunResult): string[] {
  const width = Math.max(...result.resources.map((r) => r.type.length))
  return [
    `Would deploy stack ${result.stack} to ${result.region ?? 'the region of your credentials'}: ` +
      `${result.resourceCount} resources.`,
    ...result.resources.map((r) => `  ${r.type.padEnd(width)}  ${r.count}`),
    `Outputs: ${result.outputs.join(', ')}`,
    result.dataRetention === 'retain'
      ? 'On stack deletion the buckets, table, key and logs are retained.'
      : 'On stack deletion the buckets, table, key and logs are DELETED (--destroy-data-on-delete).',
    `Template: ${result.templateFile}`,
    'Nothing was deployed (--dry-run).',
  ]
}
