import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import {Validations} from 'aws-cdk-lib'
import {Match, type Template} from 'aws-cdk-lib/assertions'
import * as s3 from 'aws-cdk-lib/aws-s3'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import {AwsSolutionsChecks} from 'cdk-nag'
import {beforeAll, describe, expect, it} from 'vitest'

import {createEventPulseApp} from '../../infra/app.js'
import {EVENT_MAX_AGE, EVENT_RETRY_ATTEMPTS} from '../../infra/events.js'
import {processorBundleDir} from '#core/package-root.js'
import {defaultStackConfig} from '../../infra/stack-config.js'
import {
  ITEM_METADATA,
  METRICS,
  NOTIFICATION_ATTRIBUTES,
  PROCESSOR_ENV,
  QUARANTINE_REASONS,
  QUARANTINE_RETENTION_DAYS,
  SOURCE_KEY_INDEX,
  STACK_OUTPUTS,
  SWEEP_REQUEST,
  TABLE_KEY,
} from '#contract/pipeline-contract.js'
import {DEFAULT_STUCK_AFTER_SECONDS, HISTORY_SOURCE_KEY_INDEX} from '#contract/pipeline-contract.js'
import {newLocalCredentials} from '#local/credentials.js'
import {startDynamoDb} from '#local/emulators.js'
import {ensureTable} from '#local/table.js'
import {localClients} from '#local/target.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {stubProcessorBundle, synthesize} from './synth.js'
import {tempDir} from '../helpers/temp-dirs.js'

/** CloudFormation JSON, typed as loosely as CDK's Template.toJSON() types it. */
type TemplateJson = ReturnType<Template['toJSON']>
type Resource = {Type: string; Properties: TemplateJson; DeletionPolicy?: string; DependsOn?: string[]}

/** The logical id of the one resource of a type whose id starts with the given construct path prefix. */
function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix))
  expect(ids, `${type} ${prefix}*`).toHaveLength(1)
  return ids[0]
}

const arn = (id: string) => ({'Fn::GetAtt': [id, 'Arn']})

interface DashboardMetric {
  namespace: string
  name: string
  dimensions: Record<string, string>
  stat: string
}

/** Every metric on the stack's one dashboard; CloudFormation references in it read `@LogicalId` / `@LogicalId.Attr`. */
function dashboardMetrics(template: Template): DashboardMetric[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))
  expect(dashboards).toHaveLength(1)
  const parts: (string | {Ref: string} | {'Fn::GetAtt': string[]})[] =
    dashboards[0].Properties.DashboardBody['Fn::Join'][1]
  const body = parts
    .map((part) =>
      typeof part === 'string' ? part : 'Ref' in part ? `@${part.Ref}` : `@${part['Fn::GetAtt'].join('.')}`,
    )
    .join('')
  const widgets: {properties: {metrics: (string | {stat: string})[][]}}[] = JSON.parse(body).widgets
  return widgets.flatMap((widget) =>
    widget.properties.metrics.map((metric) => {
      const [namespace, name, ...rest] = metric.filter((part) => typeof part === 'string') as string[]
      const dimensions = Object.fromEntries(rest.flatMap((part, i) => (i % 2 ? [] : [[part, rest[i + 1]]])))
      return {namespace, name, dimensions, stat: (metric.at(-1) as {stat: string}).stat}
    }),
  )
}
const objectsBelow = (bucketId: string) => ({'Fn::Join': ['', [arn(bucketId), '/*']]})
const allow = (action: string | string[], resource: unknown) => ({Effect: 'Allow', Action: action, Resource: resource})

describe('the EventPulse stack, default configuration', () => {
  let template: Template
  let resources: Record<string, Resource>
  let ids: Record<
    | 'processing'
    | 'quarantine'
    | 'table'
    | 'outcomes'
    | 'history'
    | 'topic'
    | 'key'
    | 'logGroup'
    | 'function'
    | 'processorDlq'
    | 'eventsDlq'
    | 'sweepDlq'
    | 'accessLog',
    string
  >

  let nagFailure: string | undefined

  /** The dimensions of the processor's outcome metrics in this stack, sorted by name as CDK lists them. */
  const outcomeDimensions = () =>
    [
      {Name: METRICS.dimensions.service, Value: METRICS.service},
      {Name: METRICS.dimensions.bucket, Value: {Ref: ids.processing}},
    ].sort((a, b) => (a.Name < b.Name ? -1 : 1))

  beforeAll(() => {
    const synthesized = synthesize()
    nagFailure = synthesized.nagFailure
    expect(nagFailure).toBeUndefined()
    template = synthesized.template
    resources = template.toJSON().Resources
    ids = {
      processing: logicalId(template, 'AWS::S3::Bucket', 'StorageProcessingBucket'),
      quarantine: logicalId(template, 'AWS::S3::Bucket', 'StorageQuarantineBucket'),
      table: logicalId(template, 'AWS::DynamoDB::GlobalTable', 'CatalogTable'),
      outcomes: logicalId(template, 'AWS::DynamoDB::GlobalTable', 'OutcomesTable'),
      history: logicalId(template, 'AWS::DynamoDB::GlobalTable', 'HistoryTable'),
      topic: logicalId(template, 'AWS::SNS::Topic', 'NotificationsTopic'),
      key: logicalId(template, 'AWS::KMS::Key', 'NotificationsTopicKey'),
      logGroup: logicalId(template, 'AWS::Logs::LogGroup', 'ProcessorLogGroup'),
      function: logicalId(template, 'AWS::Lambda::Function', 'ProcessorFunction'),
      processorDlq: logicalId(template, 'AWS::SQS::Queue', 'ProcessorFailedInvocations'),
      eventsDlq: logicalId(template, 'AWS::SQS::Queue', 'UploadEventsUndeliveredEvents'),
      sweepDlq: logicalId(template, 'AWS::SQS::Queue', 'SweepUnstartedSweeps'),
      accessLog: logicalId(template, 'AWS::S3::Bucket', 'StorageAccessLogBucket'),
    }
  })

  it('passes the cdk-nag AwsSolutions checks: synthesize() fails on any unacknowledged finding, and ours has none', () => {
    expect(nagFailure).toBeUndefined()
    const withFinding = synthesize({}, (stack) => new sqs.Queue(stack, 'UnacknowledgedQueue'))
    expect(withFinding.nagFailure).toMatch(/AwsSolutions-SQS3/)
    expect(withFinding.nagFailure).toMatch(/UnacknowledgedQueue/)
  })

  describe('buckets', () => {
    it('encrypts, blocks public access, enforces TLS and leaves the names to CloudFormation', () => {
      for (const id of [ids.processing, ids.quarantine, ids.accessLog]) {
        const {Properties: props, DeletionPolicy} = resources[id]
        expect(
          props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
        ).toBe('AES256')
        expect(props.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        })
        expect(props.BucketName).toBeUndefined()
        expect(DeletionPolicy).toBe('Retain')
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: {Ref: id},
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({Effect: 'Deny', Action: 's3:*', Condition: {Bool: {'aws:SecureTransport': 'false'}}}),
            ]),
          },
        })
      }
    })

    it('sends processing-bucket events to EventBridge natively, without a notifications custom resource', () => {
      expect(resources[ids.processing].Properties.NotificationConfiguration).toEqual({
        EventBridgeConfiguration: {EventBridgeEnabled: true},
      })
      template.resourceCountIs('Custom::S3BucketNotifications', 0)
      expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(1)
    })

    it('refuses unconditional writes into processing, leaving multipart parts alone', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: {Ref: ids.processing},
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'RequireConditionalWrites',
              Effect: 'Deny',
              Principal: {AWS: '*'},
              Action: 's3:PutObject',
              Resource: {'Fn::Join': ['', [{'Fn::GetAtt': [ids.processing, 'Arn']}, '/*']]},
              Condition: {Null: {'s3:if-none-match': 'true'}, Bool: {'s3:ObjectCreationOperation': 'true'}},
            },
          ]),
        },
      })
    })

    const bucketStatement = (bucket: string, sid: string) =>
      template
        .toJSON()
        .Resources[logicalId(template, 'AWS::S3::BucketPolicy', bucket)].Properties.PolicyDocument.Statement.find(
          (statement: {Sid?: string}) => statement.Sid === sid,
        )

    it('refuses uploads the processor could not read: SSE-C, another encryption, a storage class other than STANDARD', () => {
      const refusal = (sid: string, condition: unknown) => ({
        Sid: sid,
        Effect: 'Deny',
        Principal: {AWS: '*'},
        Action: 's3:PutObject',
        Resource: objectsBelow(ids.processing),
        Condition: condition,
      })
      const policy = 'StorageProcessingBucketPolicy'
      expect(bucketStatement(policy, 'RefuseCustomerKeys')).toEqual(
        refusal('RefuseCustomerKeys', {Null: {'s3:x-amz-server-side-encryption-customer-algorithm': 'false'}}),
      )
      expect(bucketStatement(policy, 'RefuseOtherEncryption')).toEqual(
        refusal('RefuseOtherEncryption', {StringNotEqualsIfExists: {'s3:x-amz-server-side-encryption': 'AES256'}}),
      )
      expect(bucketStatement(policy, 'RefuseOtherStorageClasses')).toEqual(
        refusal('RefuseOtherStorageClasses', {StringNotEqualsIfExists: {'s3:x-amz-storage-class': 'STANDARD'}}),
      )
    })

    it("lets only the stack's roles write or delete objects in either bucket (no deployer known offline)", () => {
      for (const [bucket, policy] of [
        [ids.processing, 'StorageProcessingBucketPolicy'],
        [ids.quarantine, 'StorageQuarantineBucketPolicy'],
      ])
        expect(bucketStatement(policy, 'OnlyPipelineWriters')).toEqual({
          Sid: 'OnlyPipelineWriters',
          Effect: 'Deny',
          Principal: {AWS: '*'},
          Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          Resource: objectsBelow(bucket),
          Condition: {
            ArnNotLike: {
              'aws:PrincipalArn': [
                arn(logicalId(template, 'AWS::IAM::Role', 'ProcessorRole')),
                arn(logicalId(template, 'AWS::IAM::Role', 'AccessUploaderRole')),
                arn(logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')),
                arn(logicalId(template, 'AWS::IAM::Role', 'AccessSelftestRole')),
              ],
            },
          },
        })
    })

    it('lets only the selftest role write canaries (selftest/) into processing', () => {
      expect(bucketStatement('StorageProcessingBucketPolicy', 'CanariesOnlyFromSelftestRole')).toEqual({
        Sid: 'CanariesOnlyFromSelftestRole',
        Effect: 'Deny',
        Principal: {AWS: '*'},
        Action: 's3:PutObject',
        Resource: {'Fn::Join': ['', [arn(ids.processing), '/selftest/*']]},
        Condition: {
          ArnNotEquals: {'aws:PrincipalArn': [arn(logicalId(template, 'AWS::IAM::Role', 'AccessSelftestRole'))]},
        },
      })
    })

    it("logs every request to the quarantine bucket into the stack's log bucket, kept 365 days", () => {
      expect(resources[ids.quarantine].Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: {Ref: ids.accessLog},
        LogFilePrefix: 'quarantine-access/',
      })
      expect(resources[ids.accessLog].Properties.LifecycleConfiguration.Rules).toEqual([
        {Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 365},
      ])
      // Delivered by the S3 logging service for this bucket and account only, under the prefix.
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: {Ref: ids.accessLog},
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Allow',
              Principal: {Service: 'logging.s3.amazonaws.com'},
              Action: 's3:PutObject',
              Resource: {'Fn::Join': ['', [arn(ids.accessLog), '/quarantine-access/*']]},
              Condition: {
                ArnLike: {'aws:SourceArn': arn(ids.quarantine)},
                StringEquals: {'aws:SourceAccount': {Ref: 'AWS::AccountId'}},
              },
            },
          ]),
        },
      })
      expect(template.toJSON().Outputs[STACK_OUTPUTS.accessLogLocation].Value).toEqual({
        'Fn::Join': ['', ['s3://', {Ref: ids.accessLog}, '/quarantine-access/']],
      })
    })

    it('lets only the quarantine admin write replacements, whatever other policies allow', () => {
      const admin = logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: {Ref: ids.processing},
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'ReplacementsOnlyFromAllowedRoles',
              Effect: 'Deny',
              Principal: {AWS: '*'},
              Action: 's3:PutObject',
              Resource: {'Fn::Join': ['', [arn(ids.processing), '/replace/*']]},
              Condition: {ArnNotEquals: {'aws:PrincipalArn': [arn(admin)]}},
            },
          ]),
        },
      })
    })

    it('never expires objects in the processing bucket', () => {
      const rules = resources[ids.processing].Properties.LifecycleConfiguration.Rules as Record<string, unknown>[]
      for (const rule of rules) {
        expect(rule.ExpirationInDays).toBeUndefined()
        expect(rule.ExpirationDate).toBeUndefined()
        expect(rule.NoncurrentVersionExpiration).toBeUndefined()
      }
    })

    it('versions the quarantine bucket and expires old noncurrent versions', () => {
      const props = resources[ids.quarantine].Properties
      expect(props.VersioningConfiguration).toEqual({Status: 'Enabled'})
      expect(props.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({
          Status: 'Enabled',
          NoncurrentVersionExpiration: {NoncurrentDays: QUARANTINE_RETENTION_DAYS},
        }),
      )
      expect(
        props.LifecycleConfiguration.Rules.some((rule: Record<string, unknown>) => 'ExpirationInDays' in rule),
      ).toBe(false)
      expect(props.LifecycleConfiguration.Rules).toContainEqual({
        Id: 'RemoveExpiredDeleteMarkers',
        Status: 'Enabled',
        ExpiredObjectDeleteMarker: true,
      })
    })
  })

  describe('table', () => {
    it('is keyed ArtistID/ItemID, on demand, with point-in-time recovery, retained by default', () => {
      const {Properties: props, DeletionPolicy} = resources[ids.table]
      expect(props.KeySchema).toEqual([
        {AttributeName: TABLE_KEY.partition, KeyType: 'HASH'},
        {AttributeName: TABLE_KEY.sort, KeyType: 'RANGE'},
      ])
      expect(props.BillingMode).toBe('PAY_PER_REQUEST')
      expect(props.Replicas).toEqual([
        expect.objectContaining({
          Region: 'eu-west-1',
          PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true},
        }),
      ])
      expect(DeletionPolicy).toBe('Retain')
    })

    it('is protected from deletion (destroy --destroy-data lifts it); the outcomes table is not', () => {
      const protections = (id: string) =>
        resources[id].Properties.Replicas.map((r: {DeletionProtectionEnabled?: boolean}) => r.DeletionProtectionEnabled)
      expect(protections(ids.table)).toEqual([true])
      expect(protections(ids.outcomes)).toEqual([undefined])
    })

    it('keeps earlier versions in a history table keyed by item and version: encrypted, PITR, expiring after 365 days', () => {
      const {Properties: props, DeletionPolicy} = resources[ids.history]
      expect(props.KeySchema).toEqual([
        {AttributeName: 'ItemKey', KeyType: 'HASH'},
        {AttributeName: 'Version', KeyType: 'RANGE'},
      ])
      expect(props.AttributeDefinitions).toContainEqual({AttributeName: 'Version', AttributeType: 'N'})
      expect(props.SSESpecification).toEqual(resources[ids.table].Properties.SSESpecification)
      expect(props.TimeToLiveSpecification).toEqual({AttributeName: 'ExpiresAt', Enabled: true})
      expect(props.Replicas).toEqual([
        expect.objectContaining({PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}}),
      ])
      expect(DeletionPolicy).toBe('Retain')
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [PROCESSOR_ENV.historyTable]: {Ref: ids.history},
            [PROCESSOR_ENV.historyRetentionSeconds]: String(365 * 24 * 3600),
          }),
        },
      })
    })

    it('has the source-key index `status KEY` queries, projecting the upload it came from', () => {
      expect(resources[ids.table].Properties.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: SOURCE_KEY_INDEX,
          KeySchema: [{AttributeName: ITEM_METADATA.sourceKey, KeyType: 'HASH'}],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [ITEM_METADATA.sourceEtag, ITEM_METADATA.sourceSequencer, ITEM_METADATA.ingestedAt],
          },
        },
      ])
    })

    it('has a history index by source key, so `status` finds a replaced upload whose version another replaced', () => {
      expect(resources[ids.history].Properties.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: HISTORY_SOURCE_KEY_INDEX,
          KeySchema: [{AttributeName: 'ep_source_key', KeyType: 'HASH'}],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['ArtistID', 'ItemID', 'ep_source_etag', 'ep_ingested_at', 'ep_change'],
          },
        },
      ])
      expect(resources[ids.history].Properties.AttributeDefinitions).toContainEqual({
        AttributeName: 'ep_source_key',
        AttributeType: 'S',
      })
    })

    /** A described table's indexes, as a template declares them. */
    const indexesOf = (table: TableDescription) =>
      table.GlobalSecondaryIndexes!.map(({IndexName, KeySchema, Projection}) => ({IndexName, KeySchema, Projection}))

    /** Runs `use` against a local DynamoDB of its own (an empty data dir), closed afterwards. */
    const withLocalDynamoDb = async (use: (dynamodb: DynamoDBClient) => Promise<void>) => {
      const credentials = newLocalCredentials()
      const path = tempDir('eventpulse-table-')
      const emulator = await startDynamoDb({path, host: '127.0.0.1', port: 0, credentials: [credentials]})
      const {s3, dynamodb} = localClients({
        endpoints: {s3: emulator.endpoint, dynamodb: emulator.endpoint},
        credentials,
      })
      try {
        await use(dynamodb)
      } finally {
        s3.destroy()
        dynamodb.destroy()
        await emulator.close()
      }
    }

    it('has its history index made by the local pipeline too, also in a data dir made before the index', async () => {
      await withLocalDynamoDb(async (dynamodb) => {
        // The history table as an earlier version made it: keys only, no index, one version kept.
        await dynamodb.send(
          new CreateTableCommand({
            TableName: 'history',
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [
              {AttributeName: 'ItemKey', KeyType: 'HASH'},
              {AttributeName: 'Version', KeyType: 'RANGE'},
            ],
            AttributeDefinitions: [
              {AttributeName: 'ItemKey', AttributeType: 'S'},
              {AttributeName: 'Version', AttributeType: 'N'},
            ],
          }),
        )
        const kept = {
          ItemKey: {S: '["Caribou","TRACK#Sun"]'},
          Version: {N: '1'},
          ArtistID: {S: 'Caribou'},
          ItemID: {S: 'TRACK#Sun'},
          ep_source_key: {S: 'replace/sun.json'},
        }
        await dynamodb.send(new PutItemCommand({TableName: 'history', Item: kept}))

        await ensureTable(dynamodb, 'catalog', 'outcomes', 'history')
        await ensureTable(dynamodb, 'catalog', 'outcomes', 'history')

        const {Table: local} = await dynamodb.send(new DescribeTableCommand({TableName: 'history'}))
        const stack = resources[ids.history].Properties
        expect(indexesOf(local!)).toEqual(stack.GlobalSecondaryIndexes)
        const {Items} = await dynamodb.send(
          new QueryCommand({
            TableName: 'history',
            IndexName: HISTORY_SOURCE_KEY_INDEX,
            KeyConditionExpression: 'ep_source_key = :key',
            ExpressionAttributeValues: {':key': {S: 'replace/sun.json'}},
          }),
        )
        expect(Items).toEqual([kept])
      })
    })

    it('is shaped like the table the local pipeline creates: the same keys, attributes and indexes', async () => {
      await withLocalDynamoDb(async (dynamodb) => {
        await ensureTable(dynamodb, 'catalog')
        const {Table: local} = await dynamodb.send(new DescribeTableCommand({TableName: 'catalog'}))
        const stack = resources[ids.table].Properties
        const byName = (a: {AttributeName?: string}, b: {AttributeName?: string}) =>
          a.AttributeName!.localeCompare(b.AttributeName!)
        expect(local!.KeySchema).toEqual(stack.KeySchema)
        expect([...local!.AttributeDefinitions!].sort(byName)).toEqual([...stack.AttributeDefinitions].sort(byName))
        expect(indexesOf(local!)).toEqual(stack.GlobalSecondaryIndexes)
        expect(local!.BillingModeSummary?.BillingMode).toBe(stack.BillingMode)
      })
    })
  })

  describe('processor', () => {
    it('runs the prebuilt bundle on a current Node.js runtime, with its environment', () => {
      const props = resources[ids.function].Properties
      expect(props.Runtime).toMatch(/^nodejs(22|24)\.x$/)
      expect(props.Handler).toBe('index.handler')
      expect(props.Code.S3Key).toMatch(/\.zip$/)
      expect(props.Environment.Variables).toEqual({
        [PROCESSOR_ENV.processingBucket]: {Ref: ids.processing},
        [PROCESSOR_ENV.quarantineBucket]: {Ref: ids.quarantine},
        [PROCESSOR_ENV.table]: {Ref: ids.table},
        [PROCESSOR_ENV.outcomesTable]: {Ref: ids.outcomes},
        [PROCESSOR_ENV.historyTable]: {Ref: ids.history},
        [PROCESSOR_ENV.historyRetentionSeconds]: String(365 * 24 * 3600),
        [PROCESSOR_ENV.topicArn]: {Ref: ids.topic},
        [PROCESSOR_ENV.stuckAfterSeconds]: String(DEFAULT_STUCK_AFTER_SECONDS),
        [PROCESSOR_ENV.deadLetterQueueUrl]: {Ref: ids.processorDlq},
        [PROCESSOR_ENV.schemaHash]: ITEM_SCHEMA_HASH,
      })
      expect(template.toJSON().Outputs[STACK_OUTPUTS.schemaHash].Value).toBe(ITEM_SCHEMA_HASH)
    })

    it('logs to an explicit log group with retention', () => {
      expect(resources[ids.function].Properties.LoggingConfig).toEqual({LogGroup: {Ref: ids.logGroup}})
      expect(resources[ids.logGroup].Properties.RetentionInDays).toBe(90)
    })

    it('runs at most 10 invocations at once, untraced, by default', () => {
      expect(resources[ids.function].Properties.ReservedConcurrentExecutions).toBe(10)
      expect(resources[ids.function].Properties.TracingConfig).toBeUndefined()
    })

    it('sends its failed asynchronous invocations to a dead-letter queue', () => {
      expect(resources[ids.function].Properties.DeadLetterConfig).toEqual({TargetArn: arn(ids.processorDlq)})
    })

    const processorStatements = () => {
      const roleId = logicalId(template, 'AWS::IAM::Role', 'ProcessorRole')
      const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
        JSON.stringify(p.Properties.Roles).includes(roleId),
      )
      // The role's own, and one for invoking itself (which the function must not depend on: a circular reference).
      expect(policies.map(([id]) => id.slice(0, -8)).sort()).toEqual([
        'ProcessorContinueBatches',
        'ProcessorRoleDefaultPolicy',
      ])
      const byId = Object.fromEntries(policies.map(([id, p]) => [id.slice(0, -8), p]))
      expect(resources[ids.function].DependsOn).not.toContain(
        logicalId(template, 'AWS::IAM::Policy', 'ProcessorContinueBatches'),
      )
      return [byId.ProcessorRoleDefaultPolicy, byId.ProcessorContinueBatches].flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      ) as {Action: string | string[]}[]
    }

    it('may do exactly what the handler does, and nothing else', () => {
      const roleId = logicalId(template, 'AWS::IAM::Role', 'ProcessorRole')
      expect(resources[ids.function].Properties.Role).toEqual(arn(roleId))
      expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {Effect: 'Allow', Action: 'sts:AssumeRole', Principal: {Service: 'lambda.amazonaws.com'}},
      ])
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined()
      expect(processorStatements()).toEqual([
        allow('s3:ListBucket', [arn(ids.processing), arn(ids.quarantine)]),
        allow(['s3:GetObject', 's3:DeleteObject'], objectsBelow(ids.processing)),
        allow(['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'], objectsBelow(ids.quarantine)),
        allow(['dynamodb:PutItem', 'dynamodb:GetItem'], arn(ids.table)),
        // A replacement keeps the earlier version first.
        allow('dynamodb:PutItem', arn(ids.history)),
        allow('dynamodb:Query', {'Fn::Join': ['', [arn(ids.table), `/index/${SOURCE_KEY_INDEX}`]]}),
        // `unchanged` outcomes; the sweep reads whether it gave up on an object, counts its tries, records giving up.
        allow(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], arn(ids.outcomes)),
        allow('sns:Publish', {Ref: ids.topic}),
        allow(['kms:GenerateDataKey', 'kms:Decrypt'], arn(ids.key)),
        allow(['logs:CreateLogStream', 'logs:PutLogEvents'], arn(ids.logGroup)),
        allow('sqs:SendMessage', arn(ids.processorDlq)),
        // A batch that ran out of time goes on in a new invocation of its own event.
        allow('lambda:InvokeFunction', arn(ids.function)),
      ])
    })

    it('agrees with the handler that the processing bucket is unversioned: no versioning, no version actions', () => {
      // The handler ignores version ids in events and never sends one; that is right only while both hold.
      expect(resources[ids.processing].Properties.VersioningConfiguration).toBeUndefined()
      const actions = processorStatements().flatMap((statement) => [statement.Action].flat())
      expect(actions.filter((action) => /version/i.test(action))).toEqual([])
    })

    it('counts nothing from its log lines: its alarms watch the metrics it publishes itself', () => {
      template.resourceCountIs('AWS::Logs::MetricFilter', 0)
    })
  })

  describe('events', () => {
    it('routes "Object Created" in the processing bucket to the processor, with retries and a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: {bucket: {name: [{Ref: ids.processing}]}},
        },
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: arn(ids.function),
            RetryPolicy: {
              MaximumRetryAttempts: EVENT_RETRY_ATTEMPTS,
              MaximumEventAgeInSeconds: EVENT_MAX_AGE.toSeconds(),
            },
            DeadLetterConfig: {Arn: arn(ids.eventsDlq)},
          }),
        ],
      })
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: arn(ids.function),
      })
    })

    it('encrypts both dead-letter queues and alarms on either holding messages or on skipped uploads, notifying the topic', () => {
      for (const queue of [ids.processorDlq, ids.eventsDlq]) {
        expect(resources[queue].Properties.SqsManagedSseEnabled).toBe(true)
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{Name: 'QueueName', Value: {'Fn::GetAtt': [queue, 'QueueName']}}],
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
          AlarmActions: [{Ref: ids.topic}],
        })
      }
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS.namespace,
        MetricName: METRICS.names.skipped,
        Dimensions: outcomeDimensions(),
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [{Ref: ids.topic}],
      })
      // And the sweep's two (below).
      template.resourceCountIs('AWS::CloudWatch::Alarm', 5)
    })
  })

  describe('sweep', () => {
    it('invokes the processor with the sweep request every 5 minutes by default', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: arn(ids.function),
            Input: JSON.stringify(SWEEP_REQUEST),
            RetryPolicy: {MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300},
            DeadLetterConfig: {Arn: arn(ids.sweepDlq)},
          }),
        ],
      })
      const schedule = logicalId(template, 'AWS::Events::Rule', 'SweepSchedule')
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: arn(ids.function),
        SourceArn: arn(schedule),
      })
    })

    it('keeps sweeps that could not start in an encrypted dead-letter queue, and alarms on it', () => {
      expect(resources[ids.sweepDlq].Properties.SqsManagedSseEnabled).toBe(true)
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'EventPulse-UnstartedSweepsAlarm',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{Name: 'QueueName', Value: {'Fn::GetAtt': [ids.sweepDlq, 'QueueName']}}],
        AlarmActions: [{Ref: ids.topic}],
      })
    })

    it("alarms to the topic when the processor's RecoveredBySweep metric counts any object", () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS.namespace,
        MetricName: METRICS.names.recoveredBySweep,
        Dimensions: outcomeDimensions(),
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{Ref: ids.topic}],
      })
    })
  })

  describe('dashboard', () => {
    it('shows the outcome metrics, quarantines by reason, both dead-letter queues and the processor', () => {
      const metrics = dashboardMetrics(template)
      const outcome = (name: string, reason?: string) => ({
        namespace: METRICS.namespace,
        name,
        dimensions: {
          [METRICS.dimensions.service]: METRICS.service,
          [METRICS.dimensions.bucket]: `@${ids.processing}`,
          ...(reason ? {[METRICS.dimensions.reason]: reason} : {}),
        },
        stat: 'Sum',
      })
      const {stored, unchanged, skipped, failed, recoveredBySweep, quarantined} = METRICS.names
      const queue = (id: string) => ({
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: {QueueName: `@${id}.QueueName`},
        stat: 'Maximum',
      })
      const processor = (name: string, stat: string) => ({
        namespace: 'AWS/Lambda',
        name,
        dimensions: {FunctionName: `@${ids.function}`},
        stat,
      })
      expect(metrics.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
        [
          ...[stored, unchanged, skipped, failed, recoveredBySweep].map((name) => outcome(name)),
          ...Object.keys(QUARANTINE_REASONS).map((reason) => outcome(quarantined, reason)),
          queue(ids.eventsDlq),
          queue(ids.processorDlq),
          processor('Errors', 'Sum'),
          processor('Throttles', 'Sum'),
          processor('Duration', 'p50'),
          processor('Duration', 'p99'),
        ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      )
    })

    it('outputs its address in the CloudWatch console', () => {
      const dashboard = logicalId(template, 'AWS::CloudWatch::Dashboard', 'Dashboard')
      expect(template.toJSON().Outputs[STACK_OUTPUTS.dashboardUrl].Value).toEqual({
        'Fn::Join': [
          '',
          [
            'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=',
            {Ref: dashboard},
          ],
        ],
      })
    })
  })

  describe('notifications', () => {
    it('encrypts the topic with a rotating customer-managed key and enforces TLS', () => {
      expect(resources[ids.topic].Properties.KmsMasterKeyId).toEqual(arn(ids.key))
      expect(resources[ids.key].Properties.EnableKeyRotation).toBe(true)
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{Ref: ids.topic}],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({Effect: 'Deny', Condition: {Bool: {'aws:SecureTransport': 'false'}}}),
          ]),
        },
      })
    })

    // CloudWatch may act only for this account's alarms of this stack (confused deputy), by their exact ARNs: a
    // pattern `EventPulse-*` would also admit the alarms of a stack named EventPulse-Dev.
    const alarmArn = (name: string) => ({
      'Fn::Join': [
        '',
        ['arn:', {Ref: 'AWS::Partition'}, ':cloudwatch:eu-west-1:', {Ref: 'AWS::AccountId'}, `:alarm:${name}`],
      ],
    })
    const fromThisStacksAlarms = {
      StringEquals: {'aws:SourceAccount': {Ref: 'AWS::AccountId'}},
      ArnEquals: {
        'aws:SourceArn': [
          alarmArn('EventPulse-UndeliveredEventsAlarm'),
          alarmArn('EventPulse-FailedInvocationsAlarm'),
          alarmArn('EventPulse-SkippedUploadsAlarm'),
          alarmArn('EventPulse-RecoveredBySweepAlarm'),
          alarmArn('EventPulse-UnstartedSweepsAlarm'),
        ],
      },
    }

    it("admits CloudWatch in the key policy only for this stack's alarms, the processor, and the account's IAM", () => {
      const statements = resources[ids.key].Properties.KeyPolicy.Statement
      const processorRole = logicalId(template, 'AWS::IAM::Role', 'ProcessorRole')
      const accountRoot = {
        AWS: {'Fn::Join': ['', ['arn:', {Ref: 'AWS::Partition'}, ':iam::', {Ref: 'AWS::AccountId'}, ':root']]},
      }
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: {Service: 'cloudwatch.amazonaws.com'},
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Condition: fromThisStacksAlarms,
        }),
      )
      const unconditioned = statements.filter(
        (statement: {Principal?: {Service?: string}; Condition?: unknown}) =>
          statement.Principal?.Service === 'cloudwatch.amazonaws.com' && !statement.Condition,
      )
      expect(unconditioned).toEqual([])
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: {AWS: arn(processorRole)},
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        }),
      )
      // The account's IAM policies decide the rest (the quarantine admin's lets it announce replacements).
      expect(statements).toContainEqual(
        expect.objectContaining({Effect: 'Allow', Principal: accountRoot, Action: 'kms:*'}),
      )
    })

    it("lets only this stack's alarms publish to the topic, whose policy replaces the default one", () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{Ref: ids.topic}],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowCloudWatchAlarmsToPublish',
              Effect: 'Allow',
              Principal: {Service: 'cloudwatch.amazonaws.com'},
              Action: 'sns:Publish',
              Resource: {Ref: ids.topic},
              Condition: fromThisStacksAlarms,
            },
          ]),
        },
      })
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      expect(alarms.map((alarm) => alarm.Properties.AlarmName).sort()).toEqual(
        fromThisStacksAlarms.ArnEquals['aws:SourceArn'].map((a) => a['Fn::Join'][1][4].slice(':alarm:'.length)).sort(),
      )
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{Ref: ids.topic}])
    })

    it('without an e-mail address, subscribes only the selftest queue, to canary notifications only', () => {
      const queue = logicalId(template, 'AWS::SQS::Queue', 'NotificationsSelftestQueue')
      template.resourceCountIs('AWS::SNS::Subscription', 1)
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        TopicArn: {Ref: ids.topic},
        Endpoint: arn(queue),
        RawMessageDelivery: true,
        FilterPolicy: {canary: ['true']},
      })
    })

    it('keeps the selftest queue encrypted, TLS-only, for an hour at most, open to this topic alone', () => {
      const queue = logicalId(template, 'AWS::SQS::Queue', 'NotificationsSelftestQueue')
      expect(resources[queue].Properties).toEqual({SqsManagedSseEnabled: true, MessageRetentionPeriod: 3600})
      const statements = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
        .filter((policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{Ref: queue}]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: {Bool: {'aws:SecureTransport': 'false'}},
        }),
      )
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Principal: {Service: 'sns.amazonaws.com'},
          Condition: {ArnEquals: {'aws:SourceArn': {Ref: ids.topic}}},
        }),
      )
    })
  })

  describe('access', () => {
    const accountRoot = {
      AWS: {'Fn::Join': ['', ['arn:', {Ref: 'AWS::Partition'}, ':iam::', {Ref: 'AWS::AccountId'}, ':root']]},
    }

    // Callers may name themselves (the CLI sets SourceIdentity), so the access log and CloudTrail name a person.
    const assumeAsOneself = ['sts:AssumeRole', 'sts:SetSourceIdentity']

    it('lets the uploader put into processing and read outcomes, nothing else; trusted by the account', () => {
      const role = resources[logicalId(template, 'AWS::IAM::Role', 'AccessUploaderRole')].Properties
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {Effect: 'Allow', Action: assumeAsOneself, Principal: accountRoot},
      ])
      expect(role.Policies).toHaveLength(1)
      expect(role.Policies[0].PolicyDocument.Statement).toEqual([
        allow('s3:PutObject', objectsBelow(ids.processing)),
        // Canaries are the selftest role's; replacements are not the uploader's by default.
        {Effect: 'Deny', Action: 's3:PutObject', Resource: {'Fn::Join': ['', [arn(ids.processing), '/selftest/*']]}},
        {Effect: 'Deny', Action: 's3:PutObject', Resource: {'Fn::Join': ['', [arn(ids.processing), '/replace/*']]}},
        allow('s3:ListBucket', [arn(ids.processing), arn(ids.quarantine)]),
        allow('dynamodb:Query', [
          arn(ids.history),
          {'Fn::Join': ['', [arn(ids.history), `/index/${HISTORY_SOURCE_KEY_INDEX}`]]},
        ]),
        allow('s3:GetObjectTagging', objectsBelow(ids.quarantine)),
        allow(
          ['dynamodb:GetItem', 'dynamodb:Query'],
          [arn(ids.table), {'Fn::Join': ['', [arn(ids.table), `/index/${SOURCE_KEY_INDEX}`]]}],
        ),
        allow(['dynamodb:BatchGetItem', 'dynamodb:Scan'], arn(ids.table)),
        allow('dynamodb:Query', arn(ids.outcomes)),
      ])
    })

    it('lets the quarantine admin manage the quarantine, read and clear the dead-letter queues, and sweep now', () => {
      const role = resources[logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')].Properties
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: assumeAsOneself,
          Principal: accountRoot,
          // MFA by default, signed in at most an hour ago.
          Condition: {
            Bool: {'aws:MultiFactorAuthPresent': 'true'},
            NumericLessThanEquals: {'aws:MultiFactorAuthAge': '3600'},
          },
        },
      ])
      expect(template.toJSON().Outputs[STACK_OUTPUTS.adminMfaRequired].Value).toBe('true')
      expect(role.Policies[0].PolicyDocument.Statement).toEqual([
        allow(['s3:ListBucket', 's3:ListBucketVersions'], arn(ids.quarantine)),
        allow(
          ['s3:GetObject', 's3:GetObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          objectsBelow(ids.quarantine),
        ),
        allow('s3:PutObject', objectsBelow(ids.processing)),
        // `release --wait`: where the released object is: waiting in processing, stored, unchanged or quarantined.
        allow('s3:ListBucket', arn(ids.processing)),
        allow('dynamodb:Query', [
          {'Fn::Join': ['', [arn(ids.table), `/index/${SOURCE_KEY_INDEX}`]]},
          arn(ids.outcomes),
          {'Fn::Join': ['', [arn(ids.history), `/index/${HISTORY_SOURCE_KEY_INDEX}`]]},
        ]),
        // `dead-letters list|clear`: the two dead-letter queues only, and no SendMessage, purge or queue changes.
        allow(
          ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          [arn(ids.eventsDlq), arn(ids.processorDlq)],
        ),
        // `upload --replace` looks records up; `items revert`, `quarantine accept` replace an item and keep its history.
        allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'], arn(ids.table)),
        allow(['dynamodb:Query', 'dynamodb:PutItem'], arn(ids.history)),
        // `sweep`: the processor only.
        allow('lambda:InvokeFunction', arn(ids.function)),
      ])
      // `quarantine accept`, `items revert`: `replaced` is announced on the stack's topic, as the processor does.
      const announce = resources[logicalId(template, 'AWS::IAM::Policy', 'AccessQuarantineAdminAnnouncePolicy')]
      expect(announce.Properties.Roles).toEqual([
        {Ref: logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')},
      ])
      expect(announce.Properties.PolicyDocument.Statement).toEqual([
        allow('sns:Publish', {Ref: ids.topic}),
        allow(['kms:GenerateDataKey', 'kms:Decrypt'], arn(ids.key)),
      ])
    })

    it('gives uploaders and quarantine admins a managed policy each, to describe this stack and assume their role only', () => {
      // The uploaders' is the one CLI policy of earlier versions (same logical id): a redeploy narrows it in place.
      const uploaders = logicalId(template, 'AWS::IAM::ManagedPolicy', 'AccessCliPolicy')
      const admins = logicalId(template, 'AWS::IAM::ManagedPolicy', 'AccessAdminCliPolicy')
      expect(resources[uploaders].Properties.PolicyDocument.Statement).toEqual([
        allow('cloudformation:DescribeStacks', {Ref: 'AWS::StackId'}),
        // Uploaders may run `selftest` too.
        allow(assumeAsOneself, [
          arn(logicalId(template, 'AWS::IAM::Role', 'AccessUploaderRole')),
          arn(logicalId(template, 'AWS::IAM::Role', 'AccessSelftestRole')),
        ]),
      ])
      expect(resources[admins].Properties.PolicyDocument.Statement).toEqual([
        allow('cloudformation:DescribeStacks', {Ref: 'AWS::StackId'}),
        allow(assumeAsOneself, arn(logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole'))),
      ])
      const outputs = template.toJSON().Outputs
      expect(outputs[STACK_OUTPUTS.uploaderCliPolicyArn].Value).toEqual({Ref: uploaders})
      expect(outputs[STACK_OUTPUTS.adminCliPolicyArn].Value).toEqual({Ref: admins})
      expect(outputs.CliPolicyArn).toBeUndefined()
    })

    it('lets the selftest role touch canaries only: its keys, items under the reserved ArtistID, its queue', () => {
      const role = resources[logicalId(template, 'AWS::IAM::Role', 'AccessSelftestRole')].Properties
      // No MFA: a scheduler runs it, and it can do nothing but canaries.
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {Effect: 'Allow', Action: assumeAsOneself, Principal: accountRoot},
      ])
      const canaries = (bucket: string) => ({'Fn::Join': ['', [arn(bucket), '/selftest/*']]})
      const listingCanaries = {StringLike: {'s3:prefix': ['selftest/*']}}
      expect(role.Policies[0].PolicyDocument.Statement).toEqual([
        allow(['s3:PutObject', 's3:DeleteObject'], canaries(ids.processing)),
        {...allow('s3:ListBucket', arn(ids.processing)), Condition: listingCanaries},
        {...allow(['s3:ListBucket', 's3:ListBucketVersions'], arn(ids.quarantine)), Condition: listingCanaries},
        allow(['s3:GetObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'], canaries(ids.quarantine)),
        {
          ...allow(['dynamodb:GetItem', 'dynamodb:DeleteItem'], arn(ids.table)),
          Condition: {'ForAllValues:StringEquals': {'dynamodb:LeadingKeys': ['eventpulse-selftest']}},
        },
        {
          ...allow(['dynamodb:Query', 'dynamodb:DeleteItem'], arn(ids.outcomes)),
          Condition: {'ForAllValues:StringLike': {'dynamodb:LeadingKeys': ['selftest/*']}},
        },
        allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
          arn(logicalId(template, 'AWS::SQS::Queue', 'NotificationsSelftestQueue')),
        ),
      ])
      const outputs = template.toJSON().Outputs
      expect(outputs[STACK_OUTPUTS.selftestRoleArn].Value).toEqual(
        arn(logicalId(template, 'AWS::IAM::Role', 'AccessSelftestRole')),
      )
      expect(outputs[STACK_OUTPUTS.selftestQueueUrl].Value).toEqual({
        Ref: logicalId(template, 'AWS::SQS::Queue', 'NotificationsSelftestQueue'),
      })
    })

    it('uses no wildcard actions and no resource wildcard other than objects below a bucket ARN', () => {
      const documents = [
        ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
          (r.Properties.Policies ?? []).map((p: {PolicyDocument: unknown}) => p.PolicyDocument),
        ),
        ...Object.values(template.findResources('AWS::IAM::Policy')).map((r) => r.Properties.PolicyDocument),
        ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((r) => r.Properties.PolicyDocument),
      ]
      expect(documents.length).toBe(8)
      const bucketObjects = [ids.processing, ids.quarantine]
        .flatMap((bucket) => [objectsBelow(bucket), {'Fn::Join': ['', [arn(bucket), '/selftest/*']]}])
        .map((r) => JSON.stringify(r))
      for (const statement of documents.flatMap((d) => d.Statement).filter((s) => s.Effect === 'Allow')) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain('*')
        for (const resource of [statement.Resource].flat()) {
          const text = JSON.stringify(resource)
          if (text.includes('*')) expect(bucketObjects).toContain(text)
        }
      }
    })
  })

  it('outputs everything the CLI discovers', () => {
    const outputs = template.toJSON().Outputs
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort())
    expect(outputs[STACK_OUTPUTS.processingBucket].Value).toEqual({Ref: ids.processing})
    expect(outputs[STACK_OUTPUTS.quarantineBucket].Value).toEqual({Ref: ids.quarantine})
    expect(outputs[STACK_OUTPUTS.table].Value).toEqual({Ref: ids.table})
    expect(outputs[STACK_OUTPUTS.topicArn].Value).toEqual({Ref: ids.topic})
    expect(outputs[STACK_OUTPUTS.uploaderRoleArn].Value).toEqual(
      arn(logicalId(template, 'AWS::IAM::Role', 'AccessUploaderRole')),
    )
    expect(outputs[STACK_OUTPUTS.quarantineAdminRoleArn].Value).toEqual(
      arn(logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')),
    )
    expect(outputs[STACK_OUTPUTS.stuckAfterSeconds].Value).toBe(String(DEFAULT_STUCK_AFTER_SECONDS))
    expect(outputs[STACK_OUTPUTS.dataRetention].Value).toBe('retain')
  })
})

describe('the EventPulse stack, fully configured', () => {
  let template: Template
  let resources: Record<string, Resource>

  beforeAll(() => {
    const synthesized = synthesize({
      email: 'ops@example.com',
      notifyQuarantinedOnly: true,
      trustedPrincipals: ['111122223333', 'arn:aws:iam::444455556666:role/ci'],
      destroyDataOnDelete: true,
      replicaRegions: ['us-east-1'],
      stuckAfterSeconds: 900,
      sweepEverySeconds: 3600,
      processingBucketName: 'acme-eventpulse-processing',
      externalId: 'acme-7f3a',
      requireMfa: false,
      mfaMaxAgeSeconds: 900,
      accessLogRetentionSeconds: 30 * 24 * 3600,
      processorConcurrency: 25,
      tracing: true,
      deployer: 'arn:aws:sts::123456789012:assumed-role/Deployer/alice',
      uploaderMayReplace: true,
      historyRetentionSeconds: 90 * 24 * 3600,
    })
    expect(synthesized.nagFailure).toBeUndefined()
    template = synthesized.template
    resources = template.toJSON().Resources
  })

  it('subscribes the e-mail address, filtered to quarantined outcomes while letting alarms through', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      // Canaries (selftest's) are for the selftest queue, not for people.
      FilterPolicy: {[NOTIFICATION_ATTRIBUTES.outcome]: ['quarantined', {exists: false}], canary: [{exists: false}]},
    })
  })

  it('trusts the configured principals instead of the account, with the external id; no MFA once opted out', () => {
    const externalId = {StringEquals: {'sts:ExternalId': 'acme-7f3a'}}
    for (const [prefix, condition] of [
      ['AccessUploaderRole', externalId],
      ['AccessQuarantineAdminRole', externalId],
    ] as const) {
      const statement =
        resources[logicalId(template, 'AWS::IAM::Role', prefix)].Properties.AssumeRolePolicyDocument.Statement
      expect(statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Principal: {AWS: {'Fn::Join': ['', ['arn:', {Ref: 'AWS::Partition'}, ':iam::111122223333:root']]}},
          Condition: condition,
        },
        {
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Principal: {AWS: 'arn:aws:iam::444455556666:role/ci'},
          Condition: condition,
        },
      ])
    }
    expect(template.toJSON().Outputs[STACK_OUTPUTS.adminMfaRequired].Value).toBe('false')
  })

  it('bounds the MFA age as configured when MFA is required', () => {
    const {template: withMfa} = synthesize({requireMfa: true, mfaMaxAgeSeconds: 900})
    const admin = withMfa.toJSON().Resources[logicalId(withMfa, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')]
    expect(admin.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      Bool: {'aws:MultiFactorAuthPresent': 'true'},
      NumericLessThanEquals: {'aws:MultiFactorAuthAge': '900'},
    })
  })

  it('lets the deploying principal write and delete in both buckets besides the roles, by its role of any path', () => {
    for (const policy of Object.values(template.findResources('AWS::S3::BucketPolicy'))) {
      const pinned = policy.Properties.PolicyDocument.Statement.find(
        (statement: {Sid?: string}) => statement.Sid === 'OnlyPipelineWriters',
      )
      if (!pinned) continue
      expect(pinned.Condition.ArnNotLike['aws:PrincipalArn'].slice(4)).toEqual([
        'arn:aws:iam::123456789012:role/Deployer',
        'arn:aws:iam::123456789012:role/*/Deployer',
      ])
    }
    const pinnedBuckets = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter((policy) =>
      JSON.stringify(policy).includes('OnlyPipelineWriters'),
    )
    expect(pinnedBuckets).toHaveLength(2)
  })

  it('keeps the access log as long as configured, reserves the configured concurrency, traces with X-Ray', () => {
    const logBucket = resources[logicalId(template, 'AWS::S3::Bucket', 'StorageAccessLogBucket')]
    expect(logBucket.Properties.LifecycleConfiguration.Rules).toEqual([
      {Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 30},
    ])
    const fn = resources[logicalId(template, 'AWS::Lambda::Function', 'ProcessorFunction')]
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(25)
    expect(fn.Properties.TracingConfig).toEqual({Mode: 'Active'})
  })

  it('lets the uploader write replacements too when configured so, and keeps versions as long as configured', () => {
    const uploader = logicalId(template, 'AWS::IAM::Role', 'AccessUploaderRole')
    const admin = logicalId(template, 'AWS::IAM::Role', 'AccessQuarantineAdminRole')
    const statements = resources[uploader].Properties.Policies[0].PolicyDocument.Statement
    const denials = statements.filter((statement: {Effect: string}) => statement.Effect === 'Deny')
    expect(JSON.stringify(denials)).not.toContain('/replace/')
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReplacementsOnlyFromAllowedRoles',
            Condition: {ArnNotEquals: {'aws:PrincipalArn': [arn(admin), arn(uploader)]}},
          }),
        ]),
      },
    })
    expect(template.toJSON().Outputs[STACK_OUTPUTS.historyRetentionSeconds].Value).toBe(String(90 * 24 * 3600))
  })

  it('replicates the table, each replica with point-in-time recovery', () => {
    const replicas = resources[logicalId(template, 'AWS::DynamoDB::GlobalTable', 'CatalogTable')].Properties.Replicas
    expect(replicas.map((r: {Region: string}) => r.Region).sort()).toEqual(['eu-west-1', 'us-east-1'])
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({PointInTimeRecoveryEnabled: true})
      expect(replica.DeletionProtectionEnabled).toBe(true)
    }
  })

  it('deletes the data with the stack only when explicitly configured', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::GlobalTable', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'])
      for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy).toBe('Delete')
    expect(template.toJSON().Outputs[STACK_OUTPUTS.dataRetention].Value).toBe('destroy')
  })

  it('uses a configured bucket name, the configured stuck-object age and sweep interval', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {BucketName: 'acme-eventpulse-processing'})
    expect(template.toJSON().Outputs[STACK_OUTPUTS.stuckAfterSeconds].Value).toBe('900')
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {Variables: Match.objectLike({[PROCESSOR_ENV.stuckAfterSeconds]: '900'})},
    })
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({RetryPolicy: {MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600}})],
    })
  })
})

describe('cdk-nag on every synth', () => {
  it('fails the synth on an unacknowledged finding (so a clean synth means something)', () => {
    const {app, stack} = createEventPulseApp(defaultStackConfig({region: 'eu-west-1'}), {
      outdir: tempDir('eventpulse-cdkout-'),
      processorBundleDir: stubProcessorBundle(),
    })
    new s3.Bucket(stack, 'UncheckedBucket')
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
    expect(() => app.synth()).toThrow(/UncheckedBucket/)
  })

  it('justifies each acknowledged finding in one line', () => {
    const {stack} = createEventPulseApp(defaultStackConfig({region: 'eu-west-1'}), {
      outdir: tempDir('eventpulse-cdkout-'),
      processorBundleDir: stubProcessorBundle(),
    })
    const reasons = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.values(m.data as Record<string, string | {reason: string}>))
      .map((entry) => (typeof entry === 'string' ? entry : entry.reason))
    expect(reasons.length).toBeGreaterThanOrEqual(10)
    for (const reason of reasons) expect(reason).toMatch(/^[^\n]{10,160}$/)
  })
})

describe('the processor bundle', () => {
  const built = join(process.cwd(), 'dist/lambda-bundle/processor/index.mjs')
  it.skipIf(!existsSync(built))('is found in dist/lambda-bundle/processor, where `npm run build` writes it', () => {
    expect(processorBundleDir()).toBe(join(process.cwd(), 'dist/lambda-bundle/processor'))
  })
})
