import {CfnOutput, Duration, RemovalPolicy, Stack, type StackProps} from 'aws-cdk-lib'
import type {Construct} from 'constructs'

import {
  ACCESS_LOG_PREFIX,
  DATA_RETENTION,
  PROCESSOR_ENV,
  STACK_OUTPUTS,
  type StackOutputName,
} from '#contract/pipeline-contract.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {Access} from './access.js'
import {UploadEvents} from './events.js'
import {PipelineDashboard} from './dashboard.js'
import {acknowledgeNagFindings} from './nag-acknowledgements.js'
import {Notifications} from './notifications.js'
import {Processor} from './processor.js'
import type {EventPulseStackConfig} from './stack-config.js'
import {Storage} from './storage.js'
import {SweepSchedule} from './sweep.js'
import {CatalogTable, HistoryTable, OutcomesTable} from './table.js'

export interface EventPulseStackProps extends StackProps {
  config: EventPulseStackConfig
  /** Directory of the processor bundle; defaults to the one `npm run build` writes. */
  processorBundleDir?: string
}

/** The whole AWS side of EventPulse: S3 → EventBridge → Lambda → DynamoDB / quarantine / SNS. */
export class EventPulseStack extends Stack {
  constructor(scope: Construct, id: string, props: EventPulseStackProps) {
    super(scope, id, props)
    const {config} = props
    // Stored data outlives the stack unless the user explicitly chose otherwise.
    const removalPolicy = config.destroyDataOnDelete ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN

    const storage = new Storage(this, 'Storage', {
      removalPolicy,
      processingBucketName: config.processingBucketName,
      quarantineBucketName: config.quarantineBucketName,
      accessLogRetentionDays: Duration.seconds(config.accessLogRetentionSeconds).toDays(),
    })
    const {table} = new CatalogTable(this, 'Catalog', {removalPolicy, replicaRegions: config.replicaRegions})
    const {table: outcomesTable} = new OutcomesTable(this, 'Outcomes', {removalPolicy})
    const {table: historyTable} = new HistoryTable(this, 'History', {
      removalPolicy,
      replicaRegions: config.replicaRegions,
    })
    const notifications = new Notifications(this, 'Notifications', {
      removalPolicy,
      email: config.email,
      notifyQuarantinedOnly: config.notifyQuarantinedOnly,
    })
    const processor = new Processor(this, 'Processor', {
      processingBucket: storage.processingBucket,
      quarantineBucket: storage.quarantineBucket,
      table,
      outcomesTable,
      historyTable,
      historyRetentionSeconds: config.historyRetentionSeconds,
      stuckAfterSeconds: config.stuckAfterSeconds,
      topic: notifications.topic,
      topicKey: notifications.key,
      removalPolicy,
      concurrency: config.processorConcurrency,
      tracing: config.tracing,
      bundleDir: props.processorBundleDir,
    })
    notifications.admitPublisher(processor.role)
    processor.function.addEnvironment(PROCESSOR_ENV.schemaHash, ITEM_SCHEMA_HASH)
    const uploadEvents = new UploadEvents(this, 'UploadEvents', {
      processingBucket: storage.processingBucket,
      processor: processor.function,
      processorDeadLetterQueue: processor.deadLetterQueue,
      skippedMetric: processor.skippedMetric,
      topic: notifications.topic,
    })
    const sweep = new SweepSchedule(this, 'Sweep', {
      processor: processor.function,
      processingBucketName: storage.processingBucket.bucketName,
      everySeconds: config.sweepEverySeconds,
      topic: notifications.topic,
    })
    const dashboard = new PipelineDashboard(this, 'Dashboard', {
      processingBucketName: storage.processingBucket.bucketName,
      processor: processor.function,
      deadLetterQueues: {
        undeliveredEvents: uploadEvents.deadLetterQueue,
        failedInvocations: processor.deadLetterQueue,
      },
    })
    const access = new Access(this, 'Access', {
      processingBucket: storage.processingBucket,
      quarantineBucket: storage.quarantineBucket,
      table,
      outcomesTable,
      historyTable,
      deadLetterQueues: [uploadEvents.deadLetterQueue, processor.deadLetterQueue],
      processor: processor.function,
      topic: notifications.topic,
      topicKey: notifications.key,
      trustedPrincipals: config.trustedPrincipals,
      externalId: config.externalId,
      requireMfa: config.requireMfa,
      mfaMaxAgeSeconds: config.mfaMaxAgeSeconds,
      uploaderMayReplace: config.uploaderMayReplace,
    })
    notifications.admitAlarms([...uploadEvents.alarms, ...sweep.alarms])
    storage.pinWriters([processor.role, access.uploaderRole, access.quarantineAdminRole], config.deployer)
    storage.admitReplacementsFrom(
      config.uploaderMayReplace ? [access.quarantineAdminRole, access.uploaderRole] : [access.quarantineAdminRole],
    )

    const outputs: Record<StackOutputName, {value: string; description: string}> = {
      processingBucket: {value: storage.processingBucket.bucketName, description: 'Bucket that uploads go to'},
      quarantineBucket: {value: storage.quarantineBucket.bucketName, description: 'Bucket holding quarantined uploads'},
      table: {value: table.tableName, description: 'Catalog table'},
      outcomesTable: {value: outcomesTable.tableName, description: 'What became of uploads that left no item or entry'},
      historyTable: {value: historyTable.tableName, description: "Items' earlier versions"},
      historyRetentionSeconds: {
        value: String(config.historyRetentionSeconds),
        description: 'Seconds an earlier version of an item is kept',
      },
      topicArn: {value: notifications.topic.topicArn, description: 'Notifications topic'},
      uploaderRoleArn: {value: access.uploaderRole.roleArn, description: 'Role for uploading and checking uploads'},
      quarantineAdminRoleArn: {
        value: access.quarantineAdminRole.roleArn,
        description: 'Role for managing the quarantine',
      },
      uploaderCliPolicyArn: {
        value: access.uploaderCliPolicy.managedPolicyArn,
        description: 'Attach to the users or groups who upload (upload, status, items)',
      },
      adminCliPolicyArn: {
        value: access.adminCliPolicy.managedPolicyArn,
        description: 'Attach to the quarantine admins (quarantine, dead-letters, sweep)',
      },
      adminMfaRequired: {
        value: String(config.requireMfa),
        description: 'Whether the quarantine-admin role requires MFA',
      },
      accessLogLocation: {
        value: `s3://${storage.accessLogBucket.bucketName}/${ACCESS_LOG_PREFIX}`,
        description: 'Where every request to the quarantine bucket is logged (S3 server access logs)',
      },
      processorFunctionName: {value: processor.function.functionName, description: 'Processor Lambda function'},
      deadLetterQueueUrl: {
        value: uploadEvents.deadLetterQueue.queueUrl,
        description: 'Upload events that could not be delivered',
      },
      processorDeadLetterQueueUrl: {
        value: processor.deadLetterQueue.queueUrl,
        description: 'Processor invocations that failed',
      },
      stuckAfterSeconds: {
        value: String(config.stuckAfterSeconds),
        description: 'Objects older than this in processing are stuck',
      },
      schemaHash: {value: ITEM_SCHEMA_HASH, description: 'Digest of the item schema the processor checks with'},
      dataRetention: {
        value: config.destroyDataOnDelete ? DATA_RETENTION.destroy : DATA_RETENTION.retain,
        description: 'What happens to the data when the stack is deleted',
      },
      dashboardUrl: {value: dashboard.url, description: 'CloudWatch dashboard of uploads, queues and the processor'},
    }
    for (const [name, {value, description}] of Object.entries(outputs))
      new CfnOutput(this, STACK_OUTPUTS[name as StackOutputName], {value, description})

    acknowledgeNagFindings({stack: this, storage, processor, uploadEvents, sweep, access})
  }
}
