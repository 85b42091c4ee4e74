import {configuredRegion, endpointFor} from '#aws/profile.js'
import {readStackOutputsCache} from '#aws/stack-outputs-cache.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'

/** A pipeline as far as its schema goes: what to call it, and the hash of the schema it checks with, if known. */
export interface PipelineSchema {
  label: string
  local?: boolean
  schemaHash?: string
}

/**
 * The one line `validate` and `upload` warn with when the pipeline checks records with another schema than this CLI
 * (the verdicts may then differ); undefined when the schemas agree or the pipeline's is not known.
 */
export async function schemaDriftWarning(pipeline: PipelineSchema): Promise<string | undefined> {
  if (!pipeline.schemaHash) return undefined
  // Loaded only when there is a hash to compare with: hashing the schema is a tenth of a plain `validate`'s start-up.
  const {ITEM_SCHEMA_HASH} = await import('#schema/schema-hash.js')
  if (pipeline.schemaHash === ITEM_SCHEMA_HASH) return undefined
  const fix = pipeline.local
    ? 'restart `eventpulse local start` with this CLI'
    : 'run `eventpulse deploy` with this CLI, or upgrade the CLI to the version that deployed it'
  return (
    `Schema drift on ${pipeline.label}: it checks records with schema ${pipeline.schemaHash}, this CLI with ` +
    `${ITEM_SCHEMA_HASH}, so their verdicts may differ: ${fix}.`
  )
}

type SchemaFlags = Pick<PipelineFlagValues, 'local' | 'stack' | 'profile' | 'region'>

/**
 * The pipeline `validate` compares with, without a network call: with --local, the running local pipeline (its state
 * file); otherwise the stack (--stack, --profile, --region) as its outputs were last cached (by `deploy`, `doctor` or
 * any command that read them), or nothing when they never were.
 */
async function offlinePipelineSchema(flags: SchemaFlags): Promise<PipelineSchema | undefined> {
  if (flags.local) {
    const {readLocalPipeline} = await import('#local/state.js')
    return {label: 'local pipeline', local: true, schemaHash: readLocalPipeline().schemaHash}
  }
  const profile = flags.profile || process.env.AWS_PROFILE || undefined
  const region = flags.region || (await configuredRegion(profile ?? 'default'))
  if (!region) return undefined
  const endpoint = endpointFor('CLOUDFORMATION', {})
  const outputs = await readStackOutputsCache({profile, region, stack: flags.stack, endpoint})
  return outputs && {label: `stack ${flags.stack} in ${region}`, schemaHash: outputs[STACK_OUTPUTS.schemaHash]}
}

/**
 * What `validate` warns about: the schema drift of the pipeline it knows of offline, or, with --local while the local
 * pipeline is stopped, that it checked without that comparison. Never a reason to fail.
 */
export async function validateWarnings(flags: SchemaFlags): Promise<string[]> {
  if (flags.local) {
    const {localPipelineStatus} = await import('#local/state.js')
    if (!localPipelineStatus().running)
      return [
        'The local pipeline is not running: checked without comparing with its schema ' +
          '(start it with `eventpulse local start` for that).',
      ]
  }
  const pipeline = await offlinePipelineSchema(flags).catch(() => undefined)
  const warning = pipeline && (await schemaDriftWarning(pipeline))
  return warning ? [warning] : []
}
