import {createRequire} from 'node:module'

import type {AwsCredentialIdentityProvider} from '@smithy/types'
import {mockClient} from 'aws-sdk-client-mock'

// The toolkit loads the CommonJS builds of the SDK clients (and STS AssumeRole through @aws-sdk/nested-clients); these
// are the classes whose `send` is replaced, so every AWS call it makes lands here, and nothing leaves the process.
const require = createRequire(import.meta.url)
const CLIENTS = {
  CloudFormation: require('@aws-sdk/client-cloudformation').CloudFormationClient,
  STS: require('@aws-sdk/client-sts').STSClient,
  NestedSTS: require('@aws-sdk/nested-clients/sts').STSClient,
  S3: require('@aws-sdk/client-s3').S3Client,
  SSM: require('@aws-sdk/client-ssm').SSMClient,
  DynamoDB: require('@aws-sdk/client-dynamodb').DynamoDBClient,
} as const

export const ACCOUNT = '123456789012'
export const REGION = 'eu-west-1'

export interface Call {
  client: string
  command: string
  input: Record<string, unknown>
}

// The handlers read only the string members of a command's input (names, ids, markers).
type Handler = (input: Record<string, string>) => unknown
type SentCommand = {input: Record<string, string>}

export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), {name, $fault: 'client', $metadata: {httpStatusCode: status}})
}

/** An object version or delete marker in a fake versioned bucket. */
export interface FakeVersion {
  Key: string
  VersionId: string
  deleteMarker?: boolean
}

/** A CloudFormation stack as the fake holds it. */
interface FakeStack {
  name: string
  id: string
  status: string
  outputs: Record<string, string>
}

/**
 * AWS as the toolkit sees it, faked at the SDK boundary: STS, SSM (bootstrap version), the asset bucket and a
 * CloudFormation that keeps stacks through change sets and deletions. Everything asked is recorded in `calls`.
 */
export class FakeAws {
  readonly calls: Call[] = []
  readonly stacks = new Map<string, FakeStack>()
  /** The bootstrap version parameter; undefined: the environment is not bootstrapped. */
  bootstrapVersion: string | undefined = '30'
  /** Outputs a stack gets when a change set creates it. */
  outputsOnCreate: Record<string, string> = {}
  /** Versioned buckets by name, each version in S3's listing order (by key, then newest first). */
  readonly buckets = new Map<string, FakeVersion[]>()
  /** Versions deleted so far, as "key version": kept in `buckets` so that a marker naming one keeps its place. */
  private readonly deletedVersions = new Set<string>()
  /** Versions DeleteObjects refuses, by "key version", with the error code it answers for each. */
  readonly deleteErrors = new Map<string, string>()
  /** ListObjectVersions' page size, or its MaxKeys if smaller (S3's is 1000; small ones make paging show). */
  versionsPageSize = 1000
  /** Per "Client Command", replaces the built-in behaviour. */
  readonly overrides = new Map<string, Handler>()
  private readonly mocks: Array<{restore(): void}> = []
  private readonly pendingChangeSets = new Map<string, string>()

  install(): this {
    for (const [client, Class] of Object.entries(CLIENTS)) {
      const mock = mockClient(Class)
      ;(mock.send as unknown as {callsFake(fn: (command: SentCommand) => Promise<unknown>): void}).callsFake(
        async (command) => {
          const name = command.constructor.name.replace(/Command$/, '')
          const service = client === 'NestedSTS' ? 'STS' : client
          this.calls.push({client: service, command: name, input: command.input})
          const handler = this.overrides.get(`${service} ${name}`) ?? this.builtIn(service, name)
          return handler ? handler(command.input) : {}
        },
      )
      this.mocks.push(mock)
    }
    return this
  }

  restore(): void {
    for (const mock of this.mocks.splice(0)) mock.restore()
  }

  /** The credentials deploy and destroy are given: static, fake, never sent anywhere. */
  credentials(): AwsCredentialIdentityProvider {
    return async () => ({accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake'})
  }

  /** What is left in a fake bucket: versions and delete markers not deleted. */
  remaining(bucket: string): FakeVersion[] {
    return (this.buckets.get(bucket) ?? []).filter((v) => !this.deletedVersions.has(versionName(v)))
  }

  commands(client?: string): string[] {
    return this.calls.filter((c) => !client || c.client === client).map((c) => `${c.client} ${c.command}`)
  }

  addStack(name: string, outputs: Record<string, string>): void {
    this.stacks.set(name, {name, id: stackId(name), status: 'CREATE_COMPLETE', outputs})
  }

  private builtIn(client: string, command: string): Handler | undefined {
    const missing = (name: string) => awsError('ValidationError', `Stack with id ${name} does not exist`)
    // By name or by id (the bootstrap monitor asks with the id wrapped in an ARN of its own making).
    const find = (nameOrId: string) =>
      [...this.stacks.values()].find((s) => s.name === nameOrId || nameOrId.includes(s.id))
    const handlers: Record<string, Handler> = {
      'STS GetCallerIdentity': () => ({Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/dev`, UserId: 'AIDAFAKE'}),
      'STS AssumeRole': () => ({
        Credentials: {
          AccessKeyId: 'ASIAFAKE',
          SecretAccessKey: 'fake',
          SessionToken: 'fake',
          Expiration: new Date(Date.now() + 3_600_000),
        },
      }),
      'SSM GetParameter': ({Name}) => {
        if (this.bootstrapVersion === undefined) throw awsError('ParameterNotFound', `Parameter ${Name} not found`)
        return {Parameter: {Name, Value: this.bootstrapVersion}}
      },
      'CloudFormation DescribeStacks': ({StackName}) => {
        const stack = find(StackName)
        if (!stack) throw missing(StackName)
        return {
          Stacks: [
            {
              StackName: stack.name,
              StackId: stack.id,
              StackStatus: stack.status,
              CreationTime: new Date(),
              Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
            },
          ],
        }
      },
      'CloudFormation GetTemplate': ({StackName}) => {
        if (!find(StackName)) throw missing(StackName)
        return {TemplateBody: '{}'}
      },
      'CloudFormation CreateChangeSet': ({StackName}) => {
        this.pendingChangeSets.set(StackName, 'CREATE')
        return {Id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/cdk/1`, StackId: stackId(StackName)}
      },
      'CloudFormation DescribeChangeSet': ({StackName}) => ({
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        ChangeSetName: 'cdk-deploy-change-set',
        StackId: stackId(StackName),
        Changes: [
          {
            Type: 'Resource',
            ResourceChange: {Action: 'Add', LogicalResourceId: 'Anything', ResourceType: 'AWS::S3::Bucket'},
          },
        ],
      }),
      'CloudFormation ExecuteChangeSet': ({StackName}) => {
        this.stacks.set(StackName, {
          name: StackName,
          id: stackId(StackName),
          status: 'CREATE_COMPLETE',
          outputs: this.outputsOnCreate,
        })
        return {}
      },
      'CloudFormation DescribeStackEvents': () => ({StackEvents: []}),
      // As S3 pages: after KeyMarker's last version, or (with VersionIdMarker) right after that version of it.
      'S3 ListObjectVersions': ({Bucket, KeyMarker, VersionIdMarker, MaxKeys}) => {
        const versions = this.buckets.get(Bucket)
        if (!versions) throw awsError('NoSuchBucket', 'The specified bucket does not exist', 404)
        const start =
          KeyMarker === undefined
            ? 0
            : VersionIdMarker
              ? versions.findIndex((v) => v.Key === KeyMarker && v.VersionId === VersionIdMarker) + 1
              : versions.findIndex((v) => v.Key > KeyMarker)
        const left = start < 0 ? [] : versions.slice(start).filter((v) => !this.deletedVersions.has(versionName(v)))
        const page = left.slice(0, Math.min(this.versionsPageSize, MaxKeys ?? 1000))
        const last = page.at(-1)
        const truncated = left.length > page.length
        const listed = (marker: boolean) =>
          page.filter((v) => !!v.deleteMarker === marker).map(({Key, VersionId}) => ({Key, VersionId}))
        return {
          Versions: listed(false),
          DeleteMarkers: listed(true),
          IsTruncated: truncated,
          ...(truncated ? {NextKeyMarker: last!.Key, NextVersionIdMarker: last!.VersionId} : {}),
        }
      },
      'S3 DeleteObjects': (input) => {
        const {Bucket} = input
        const {Objects, Quiet} = (
          input as unknown as {Delete: {Objects: {Key: string; VersionId?: string}[]; Quiet?: boolean}}
        ).Delete
        // As S3 answers a request naming no keys, or more than 1000.
        if (Objects.length === 0 || Objects.length > 1000)
          throw awsError('MalformedXML', 'The XML you provided was not well-formed')
        const Deleted: {Key: string; VersionId?: string}[] = []
        const Errors: {Key: string; VersionId?: string; Code: string; Message: string}[] = []
        for (const object of Objects) {
          const code = this.deleteErrors.get(versionName(object))
          if (code) Errors.push({...object, Code: code, Message: `${code} (fake)`})
          else {
            if (this.buckets.has(Bucket)) this.deletedVersions.add(versionName(object))
            Deleted.push(object)
          }
        }
        return {...(Quiet ? {} : {Deleted}), ...(Errors.length ? {Errors} : {})}
      },
      'DynamoDB DescribeTable': ({TableName}) => ({
        Table: {
          TableName,
          DeletionProtectionEnabled: true,
          Replicas: [{RegionName: REGION}, {RegionName: 'us-east-1'}],
        },
      }),
      'CloudFormation DeleteStack': ({StackName}) => {
        const stack = find(StackName)
        if (stack) this.stacks.delete(stack.name)
        return {}
      },
    }
    return handlers[`${client} ${command}`]
  }
}

const versionName = (v: {Key: string; VersionId?: string}) => `${v.Key} ${v.VersionId}`

function stackId(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0f0f0f0f-fake`
}
