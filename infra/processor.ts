import {Duration, type RemovalPolicy} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {PROCESSOR_ENV, PROCESSOR_TIMEOUT_SECONDS, SOURCE_KEY_INDEX} from '#contract/pipeline-contract.js'
import {processorBundleDir} from '#core/package-root.js'
import {TOPIC_KEY_PUBLISH_ACTIONS} from './notifications.js'
import {outcomeMetric} from './outcome-metrics.js'

export const PROCESSOR_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS

export interface ProcessorProps {
  processingBucket: s3.IBucket
  quarantineBucket: s3.IBucket
  table: dynamodb.ITableV2
  /** Where `unchanged` outcomes are recorded, and the sweep counts its tries on an object and records giving up. */
  outcomesTable: dynamodb.ITableV2
  historyTable: dynamodb.ITableV2
  historyRetentionSeconds: number
  /** Objects older than this in the processing bucket are swept: their event never came. */
  stuckAfterSeconds: number
  topic: sns.ITopic
  topicKey: kms.IKey
  removalPolicy: RemovalPolicy
  /** Invocations that may run at once (reserved concurrency). */
  concurrency: number
  /** Trace invocations with AWS X-Ray. */
  tracing: boolean
  /** Directory holding index.mjs; defaults to the bundle built by `npm run build`. */
  bundleDir?: string
}

/** The processor Lambda from the prebuilt bundle, its log group, its role and the queue for its failed invocations. */
export class Processor extends Construct {
  readonly function: lambda.Function
  readonly role: iam.Role
  readonly deadLetterQueue: sqs.Queue
  /** Uploads the processor skipped (nothing left to do): its own metric, for an alarm to watch. */
  readonly skippedMetric: cloudwatch.Metric

  constructor(scope: Construct, id: string, props: ProcessorProps) {
    super(scope, id)
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: PROCESSOR_LOG_RETENTION,
      removalPolicy: props.removalPolicy,
    })
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'EventPulse processor: reads uploads, stores items, quarantines rejects, notifies',
    })
    // Exactly what the handler does: read and remove the upload, store the item (conditional put, read on
    // conflict), record an `unchanged` outcome, put or copy rejects into quarantine (HEAD to see whether an earlier
    // try already did), publish the outcome to the encrypted topic, and log. ListBucket makes S3 answer 404 for a
    // missing key instead of 403, which the handler needs to tell "already gone" from a failure. No version actions:
    // the processing bucket is not versioned, and the handler ignores version ids in events. The sweep lists the
    // processing bucket, and reads, counts and records its tries on an object in the outcomes table. An upload found
    // gone is looked for by its source key (the index) to announce an outcome an earlier try reached.
    const statements = [
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.processingBucket.bucketArn, props.quarantineBucket.bucketArn],
      }),
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [props.processingBucket.arnForObjects('*')],
      }),
      // PutObjectTagging: each entry is written with its reason as a tag, which a PutObject with tags needs too.
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
        resources: [props.quarantineBucket.arnForObjects('*')],
      }),
      // A replacement is one TransactWriteItems: the item's conditional Put and its history's (PutItem rights on both).
      new iam.PolicyStatement({actions: ['dynamodb:PutItem', 'dynamodb:GetItem'], resources: [props.table.tableArn]}),
      new iam.PolicyStatement({actions: ['dynamodb:PutItem'], resources: [props.historyTable.tableArn]}),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${SOURCE_KEY_INDEX}`],
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.outcomesTable.tableArn],
      }),
      new iam.PolicyStatement({actions: ['sns:Publish'], resources: [props.topic.topicArn]}),
      new iam.PolicyStatement({actions: TOPIC_KEY_PUBLISH_ACTIONS, resources: [props.topicKey.keyArn]}),
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    ]
    for (const statement of statements) this.role.addToPrincipalPolicy(statement)

    // Skipped uploads are never silent: each is a warning line, and counted in the processor's Skipped metric.
    this.skippedMetric = outcomeMetric('skipped', props.processingBucket.bucketName)

    this.deadLetterQueue = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    this.function = new lambda.Function(this, 'Function', {
      description: 'EventPulse processor: validates each uploaded record, stores it or quarantines it',
      code: lambda.Code.fromAsset(props.bundleDir ?? processorBundleDir()),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(PROCESSOR_TIMEOUT_SECONDS),
      reservedConcurrentExecutions: props.concurrency,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      role: this.role,
      logGroup,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        [PROCESSOR_ENV.processingBucket]: props.processingBucket.bucketName,
        [PROCESSOR_ENV.quarantineBucket]: props.quarantineBucket.bucketName,
        [PROCESSOR_ENV.table]: props.table.tableName,
        [PROCESSOR_ENV.outcomesTable]: props.outcomesTable.tableName,
        [PROCESSOR_ENV.historyTable]: props.historyTable.tableName,
        [PROCESSOR_ENV.historyRetentionSeconds]: String(props.historyRetentionSeconds),
        [PROCESSOR_ENV.topicArn]: props.topic.topicArn,
        [PROCESSOR_ENV.stuckAfterSeconds]: String(props.stuckAfterSeconds),
        [PROCESSOR_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
      },
    })
    // A batch that runs out of time invokes this function again with its event. A policy of its own: in the role's
    // default policy, which the function depends on, naming the function's ARN would be a circular reference.
    new iam.Policy(this, 'ContinueBatches', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn]}),
      ],
    })
  }
}
