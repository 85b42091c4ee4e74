import {DescribeTableCommand} from '@aws-sdk/client-dynamodb'
import {HeadBucketCommand} from '@aws-sdk/client-s3'

import {type PipelineTarget, resource, type ResourceName} from '#aws/clients.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {toFailure} from '#core/errors.js'
import {localDataRoot, localPipelineStatus, type LocalPipelineStatus} from '#local/state.js'
import {localTarget} from '#local/target.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

/** One line of `doctor`: what was checked, how it went, and what to do about it. */
export interface CheckResult {
  check: string
  status: CheckStatus
  detail: string
  fix?: string
}

const pass = (check: string, detail: string): CheckResult => ({check, status: 'pass', detail})
const warn = (check: string, detail: string, fix: string): CheckResult => ({check, status: 'warn', detail, fix})
export const fail = (check: string, detail: string, fix?: string): CheckResult => ({check, status: 'fail', detail, fix})

/** Runs a check whose failure is an exception, turning it into a failed line with the error's own hint. */
export async function attempt(check: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run()
  } catch (error) {
    const failure = toFailure(error)
    return fail(check, failure.message, failure.hint)
  }
}

/** Node.js 20 works, but the AWS SDK stops supporting it in January 2027. */
export function nodeCheck(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0])
  if (major < 20) return fail('node', `Node.js ${version} is too old`, 'Install Node.js 22 or newer.')
  if (major < 22)
    return warn(
      'node',
      `Node.js ${version}`,
      'The AWS SDK drops Node.js 20 in January 2027: move to Node.js 22 or newer.',
    )
  return pass('node', `Node.js ${version}`)
}

/** Whether `local start` runs; `needed` when the command is about the local pipeline. */
export function localPipelineCheck(status: LocalPipelineStatus, needed: boolean): CheckResult {
  if (status.running)
    return pass('local pipeline', `running (pid ${status.state.pid}, S3 at ${status.state.endpoints.s3})`)
  const detail = `not running${status.staleState ? ' (its last run ended without cleaning up)' : ''}`
  if (needed) return fail('local pipeline', detail, 'Start it with `eventpulse local start` in another terminal.')
  return pass('local pipeline', `${detail}; only --local needs it`)
}

/** Whether the pipeline checks records with this CLI's schema. */
export function schemaCheck(deployed: string | undefined, where: string): CheckResult {
  if (!deployed)
    return warn(
      'schema',
      `${where} publishes no schema hash (set up by an older EventPulse)`,
      'Redeploy (or restart `local start`) with this version.',
    )
  if (deployed !== ITEM_SCHEMA_HASH)
    return warn(
      'schema',
      `${where} checks records with schema ${deployed}, this CLI with ${ITEM_SCHEMA_HASH}: ` +
        '`validate` may pass what the pipeline quarantines, or the other way round',
      'Deploy with this version of EventPulse (or restart `local start`), or use the CLI version that deployed it.',
    )
  return pass('schema', `the same as this CLI's (${ITEM_SCHEMA_HASH})`)
}

/** Where to watch the deployed pipeline: informational, so it passes whenever the stack publishes the address. */
export function dashboardCheck(url: string | undefined): CheckResult[] {
  return url ? [pass('dashboard', url)] : []
}

/**
 * Whether the quarantine admin needs MFA: a stack deployed with --no-require-mfa lets anyone its roles trust read,
 * release and delete quarantined records with a password alone.
 */
export function adminMfaCheck(required: string | undefined): CheckResult[] {
  if (required === undefined) return []
  if (required === 'true') return [pass('admin MFA', 'the quarantine-admin role requires MFA')]
  return [
    warn(
      'admin MFA',
      'the quarantine-admin role does not require MFA (deployed with --no-require-mfa)',
      'Redeploy without --no-require-mfa, then run quarantine commands with --mfa-serial or a profile with mfa_serial.',
    ),
  ]
}

/** Where the record of who read, released or deleted quarantined records is kept. */
export function accessRecordCheck(location: string | undefined): CheckResult[] {
  return location
    ? [pass('access record', `${location} (S3 server access logs of the quarantine bucket, sessions named by caller)`)]
    : []
}

/** Each bucket answers HeadBucket and each table DescribeTable through the target's clients. */
export async function resourceChecks(target: PipelineTarget, names: ResourceName[]): Promise<CheckResult[]> {
  return Promise.all(
    names.map((name) =>
      attempt(name, async () => {
        const value = resource(target, name)
        if (name === 'processingBucket' || name === 'quarantineBucket')
          await target.s3.send(new HeadBucketCommand({Bucket: value}))
        else await target.dynamodb!.send(new DescribeTableCommand({TableName: value}))
        return pass(name, `${value} reachable`)
      }),
    ),
  )
}

/** Everything `doctor --local` looks at: Node, the local pipeline, its buckets and tables, its schema. */
export async function localChecks(root: string = localDataRoot()): Promise<CheckResult[]> {
  const status = localPipelineStatus(root)
  const results = [nodeCheck(), localPipelineCheck(status, true)]
  if (!status.running) return results
  const target = localTarget(status.state, {concurrency: 4})
  try {
    results.push(
      ...(await resourceChecks(target, ['processingBucket', 'quarantineBucket', 'table', 'outcomesTable'])),
      schemaCheck(status.state.schemaHash, 'The local pipeline'),
    )
  } finally {
    target.s3.destroy()
    target.dynamodb?.destroy()
  }
  return results
}

/** The stack outputs the CLI relies on that a stack lacks (deployed by an older version). */
export function missingOutputs(outputs: Record<string, string>): string[] {
  return Object.values(STACK_OUTPUTS).filter((name) => outputs[name] === undefined)
}
