import {type CfnResource, type Stack, Validations} from 'aws-cdk-lib'
import type * as s3 from 'aws-cdk-lib/aws-s3'

import {SELFTEST_PREFIX} from '#contract/pipeline-contract.js'
import type {Access} from './access.js'
import type {UploadEvents} from './events.js'
import type {Notifications} from './notifications.js'
import type {Processor} from './processor.js'
import type {Storage} from './storage.js'
import type {SweepSchedule} from './sweep.js'

export interface NagScopes {
  stack: Stack
  storage: Storage
  processor: Processor
  uploadEvents: UploadEvents
  sweep: SweepSchedule
  access: Access
  notifications: Notifications
}

/** cdk-nag's id for the finding "resource wildcard below this bucket's ARN" (the only wildcard the roles use). */
function objectsWildcardFinding(stack: Stack, bucket: s3.IBucket, prefix = ''): string {
  return `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucket.node.defaultChild as CfnResource)}.Arn>/${prefix}*]`
}

/** The cdk-nag AwsSolutions findings this stack accepts, each with its reason in one line. */
export function acknowledgeNagFindings(scopes: NagScopes): void {
  const {stack, storage, processor, uploadEvents, sweep, access, notifications} = scopes
  Validations.of(storage.processingBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'Every upload is already traced by its EventBridge event, the stored item or the quarantine metadata.',
  })
  Validations.of(storage.accessLogBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket is the access log; logging its own requests into itself would never end.',
  })
  // Present only with --tracing: the X-Ray write actions Lambda tracing needs have no resource to name.
  Validations.of(processor.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray PutTraceSegments and PutTelemetryRecords take no resource ARN (tracing on only).',
  })
  // Newer aws-cdk-lib releases (which `npm install -g` may pick) know runtimes newer than the pinned one.
  Validations.of(processor.function).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'The runtime is pinned to the Node.js major the processor is tested on, and moved on deliberately.',
  })
  for (const queue of [processor.deadLetterQueue, uploadEvents.deadLetterQueue, sweep.deadLetterQueue])
    Validations.of(queue).acknowledge({id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue.'})
  const objectAccess = [
    {scope: processor.role, buckets: [storage.processingBucket, storage.quarantineBucket]},
    {scope: access.uploaderRole, buckets: [storage.processingBucket, storage.quarantineBucket]},
    {scope: access.quarantineAdminRole, buckets: [storage.processingBucket, storage.quarantineBucket]},
  ]
  for (const {scope, buckets} of objectAccess)
    for (const bucket of buckets)
      Validations.of(scope).acknowledge({
        id: objectsWildcardFinding(stack, bucket),
        reason: 'Object actions on any key below this bucket only: upload keys are chosen by the uploader.',
      })
  for (const bucket of [storage.processingBucket, storage.quarantineBucket])
    Validations.of(access.selftestRole).acknowledge({
      id: objectsWildcardFinding(stack, bucket, SELFTEST_PREFIX),
      reason: 'Canaries only: the keys below the selftest prefix, which each run names anew.',
    })
  Validations.of(notifications.selftestQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'A canary notification selftest did not read in time is of no use later: it expires within the hour.',
  })
}
