import {type PipelineTarget, resource} from '#aws/clients.js'
import {flagResources, resolveAwsTarget, type TargetRequest} from '#aws/target.js'
import type {PipelineFlagValues} from '#aws/target-flags.js'
import {readLocalPipeline} from '#local/state.js'
import type {Notifier} from '#processor/notifier.js'

/**
 * Where and as whom a command acts: with `--local`, the pipeline `local start` runs (the role's keys of its data
 * directory, no STS or CloudFormation); otherwise a deployed stack, or whatever --endpoint-url points at.
 */
export async function resolveTarget(flags: PipelineFlagValues, request: TargetRequest): Promise<PipelineTarget> {
  if (!flags.local) return resolveAwsTarget(flags, request)
  // Loaded only for --local: it brings the DynamoDB client, which most AWS commands never need.
  const {localTarget} = await import('#local/target.js')
  // The role's own local keys: the local S3 lets only the allowed roles write replacements, as IAM does.
  const target = localTarget(readLocalPipeline(), {concurrency: request.concurrency, role: request.role})
  return {...target, local: true, resources: {...target.resources, ...flagResources(flags)}}
}

/**
 * Where a change the CLI makes itself (`quarantine accept`, `items revert`) is announced, as the pipeline announces
 * its own outcomes: the local pipeline's outbox, or the stack's topic (the target resolved with `topicArn`).
 */
export async function targetNotifier(target: PipelineTarget): Promise<Notifier> {
  const {OutboxNotifier, SnsNotifier} = await import('#processor/notifier.js')
  if (target.local) return new OutboxNotifier(readLocalPipeline().outboxFile)
  if (!target.sns) throw new Error('announcing a change needs a target resolved with the topic')
  return new SnsNotifier(target.sns, resource(target, 'topicArn'))
}
