import {rm} from 'node:fs/promises'

import {CloudFormationClient} from '@aws-sdk/client-cloudformation'
import {DescribeTableCommand, DynamoDBClient, UpdateTableCommand} from '@aws-sdk/client-dynamodb'
import {S3Client} from '@aws-sdk/client-s3'

import {createRequestHandler} from '#aws/http.js'
import {describeStackOutputs} from '#aws/stack-outputs.js'
import {noRegionError} from '#aws/profile.js'
import {usageError} from '#core/errors.js'
import {DATA_RETENTION, STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import {stackOutputsCacheFile} from '#aws/stack-outputs-cache.js'
import {confirmByTypingName} from '#terminal/confirm-name.js'
import {emptyBucketVersions} from './empty-bucket.js'
import {checkCredentials, explainToolkitError, openSessionFor, type StackRequest} from './toolkit.js'

export interface DestroyRequest extends StackRequest {
  /** Delete the data too: empty both buckets (every version) so the stack deletion can remove them and the table. */
  destroyData: boolean
  /** Replaced by tests: the AWS clients, the typed confirmation. */
  clients?: {
    cloudFormation?: (region: string) => CloudFormationClient
    s3?: (region: string) => S3Client
    dynamodb?: (region: string) => DynamoDBClient
  }
  confirmName?: (stack: string) => Promise<boolean>
}

export interface DestroyOutcome {
  destroyed: boolean
  stack: string
  region: string
  /** Resources left in the account (data retained), or deleted with the stack. */
  retained: string[]
  deleted: string[]
  /** Object versions deleted from each bucket before the stack (with --destroy-data). */
  emptied: Record<string, number>
}

/**
 * Turns off the catalog table's deletion protection in its region and in each replica's (a setting of each replica),
 * so that deleting the stack deletes it. Returns the regions.
 */
async function liftDeletionProtection(
  dynamodb: (region: string) => DynamoDBClient,
  table: string,
  region: string,
): Promise<string[]> {
  const {Table: described} = await dynamodb(region).send(new DescribeTableCommand({TableName: table}))
  const replicas = (described?.Replicas ?? []).flatMap((replica) => replica.RegionName ?? [])
  const regions = [region, ...replicas.filter((other) => other !== region)]
  for (const at of regions)
    await dynamodb(at).send(new UpdateTableCommand({TableName: table, DeletionProtectionEnabled: false}))
  return regions
}

/** What the stack keeps or deletes, in words, from its outputs. */
function dataResources(outputs: Record<string, string>): string[] {
  return [
    `bucket ${outputs[STACK_OUTPUTS.processingBucket]}`,
    `bucket ${outputs[STACK_OUTPUTS.quarantineBucket]} (every version)`,
    `table ${outputs[STACK_OUTPUTS.table]} (and its replicas)`,
    'the notifications key and the processor log group',
  ]
}

/**
 * Deletes the stack after the user typed its name (or --yes), saying plainly what data stays. With destroyData,
 * every object version is deleted from the CLI first (no auto-delete custom resource), then the stack with its data.
 */
export async function destroyStack(request: DestroyRequest): Promise<DestroyOutcome> {
  const {config} = request
  const write = request.write ?? ((text: string) => process.stderr.write(text))
  let confirmed = false
  // The toolkit's own "are you sure" is answered by the name the user typed, never by its default.
  const credentials = await checkCredentials(request)
  const session = await openSessionFor(request, credentials, write, async () => confirmed)
  const {lib, toolkit, stacks} = session
  let assembly: Awaited<ReturnType<typeof toolkit.synth>> | undefined
  try {
    assembly = await toolkit.synth(session.source, {stacks})
    const {region} = (await assembly.produce()).cloudAssembly.getStackByName(config.stackName).environment
    if (!region || region.startsWith('unknown-')) throw noRegionError()
    const clientConfig = {
      region,
      credentials: credentials.provider,
      requestHandler: createRequestHandler({maxSockets: 16}),
      maxAttempts: 5,
    }
    const cloudFormation = request.clients?.cloudFormation?.(region) ?? new CloudFormationClient(clientConfig)
    const s3 = request.clients?.s3?.(region) ?? new S3Client(clientConfig)
    const dynamodb = (at: string) =>
      request.clients?.dynamodb?.(at) ?? new DynamoDBClient({...clientConfig, region: at})
    const target = {profile: config.profile, region, stack: config.stackName}

    const outputs = await describeStackOutputs(target, cloudFormation)
    const deployedToDestroy = outputs[STACK_OUTPUTS.dataRetention] === DATA_RETENTION.destroy
    if (request.destroyData && !deployedToDestroy)
      throw usageError(
        `Stack ${config.stackName} was deployed to retain its data, so deleting it would keep the buckets and table.`,
        `Redeploy with \`eventpulse deploy --destroy-data-on-delete\` (same settings otherwise), ` +
          `then run destroy --destroy-data again.`,
      )
    if (!request.destroyData && deployedToDestroy)
      throw usageError(
        `Stack ${config.stackName} was deployed with --destroy-data-on-delete: ` +
          `deleting it deletes the table and its data.`,
        'Pass --destroy-data to confirm that, or redeploy without --destroy-data-on-delete to keep the data.',
      )

    const resources = dataResources(outputs)
    write(`Stack ${config.stackName} in ${region} will be deleted.\n`)
    write(
      request.destroyData
        ? `ALL ITS DATA WILL BE DELETED, for good:\n${resources.map((r) => `  - ${r}\n`).join('')}`
        : `Its data is retained, and stays in your account (and on your bill) ` +
            `after the stack is gone:` +
            `\n${resources.map((r) => `  - ${r}\n`).join('')}`,
    )
    const action = request.destroyData ? 'delete the stack and its data' : 'delete the stack'
    confirmed = await (request.confirmName ?? ((name) => confirmByTypingName(name, {yes: request.yes, action})))(
      config.stackName,
    )
    const outcome: DestroyOutcome = {
      destroyed: false,
      stack: config.stackName,
      region,
      retained: request.destroyData ? [] : resources,
      deleted: [],
      emptied: {},
    }
    if (!confirmed) return outcome

    if (request.destroyData) {
      const table = outputs[STACK_OUTPUTS.table]
      const regions = await liftDeletionProtection(dynamodb, table, region)
      write(`Lifted the deletion protection of table ${table} (${regions.join(', ')}).\n`)
    }
    if (request.destroyData)
      for (const name of [STACK_OUTPUTS.processingBucket, STACK_OUTPUTS.quarantineBucket]) {
        const bucket = outputs[name]
        outcome.emptied[bucket] = await emptyBucketVersions(s3, bucket, (count) =>
          write(`  ${bucket}: ${count} object versions deleted\n`),
        )
        write(`Emptied ${bucket} (${outcome.emptied[bucket]} object versions).\n`)
      }
    await toolkit.destroy(assembly, {stacks, stackEventPollingInterval: request.stackEventPollingInterval})
    await rm(stackOutputsCacheFile(target), {force: true})
    return {...outcome, destroyed: true, deleted: request.destroyData ? resources : []}
  } catch (error) {
    throw explainToolkitError(lib, error)
  } finally {
    await assembly?.dispose()
  }
}
