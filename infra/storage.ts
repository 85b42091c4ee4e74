import {Arn, ArnFormat, Duration, type RemovalPolicy} from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY} from 'aws-cdk-lib/cx-api'
import {Construct} from 'constructs'

import {
  ACCESS_LOG_PREFIX,
  QUARANTINE_RETENTION_DAYS,
  REPLACE_PREFIX,
  SELFTEST_PREFIX,
} from '#contract/pipeline-contract.js'

export interface StorageProps {
  removalPolicy: RemovalPolicy
  processingBucketName?: string
  quarantineBucketName?: string
  /** Days the quarantine bucket's access log is kept. */
  accessLogRetentionDays: number
}

const INCOMPLETE_UPLOAD_DAYS = 7

/** What writes or deletes an object: refused in both buckets to all but the stack's roles and the deployer. */
const OBJECT_WRITES = ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion']

/**
 * The aws:PrincipalArn patterns of the principal behind an STS caller ARN: a role session is its role (of any path,
 * which the session ARN leaves out), a user or the root itself.
 */
export function principalArnPatterns(callerArn: string): string[] {
  const arn = Arn.split(callerArn, ArnFormat.SLASH_RESOURCE_NAME)
  if (arn.service !== 'sts' || arn.resource !== 'assumed-role') return [callerArn]
  const role = (path: string) =>
    Arn.format({
      ...arn,
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${path}${arn.resourceName!.split('/')[0]}`,
    })
  return [role(''), role('*/')]
}

/**
 * The processing bucket (uploads land here), the quarantine bucket (rejected uploads are kept here) and the log bucket
 * that records every request made to the quarantine bucket (S3 server access logs).
 */
export class Storage extends Construct {
  readonly processingBucket: s3.Bucket
  readonly quarantineBucket: s3.Bucket
  readonly accessLogBucket: s3.Bucket

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id)
    // Log delivery admitted by a bucket policy for this bucket only, not by the log-delivery group's ACL.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true)
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
    }
    // SSE-S3 (S3 delivers access logs only into a bucket encrypted so), kept for the configured retention.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...secure,
      lifecycleRules: [{id: 'ExpireAccessLogs', expiration: Duration.days(props.accessLogRetentionDays)}],
    })
    // No expiry here: objects stuck in processing are reported by `status --stuck`, never silently dropped.
    this.processingBucket = new s3.Bucket(this, 'ProcessingBucket', {
      ...secure,
      bucketName: props.processingBucketName,
      lifecycleRules: [
        {id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS)},
      ],
    })
    // Every write into processing must be conditional (If-None-Match), so no client, ours or another, can replace an
    // upload still in flight. Parts of a multipart upload are not object creations and stay allowed; copies into the
    // bucket are refused (nothing copies into it: `quarantine release` rewrites the object).
    this.processingBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'RequireConditionalWrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.processingBucket.arnForObjects('*')],
        conditions: {Null: {'s3:if-none-match': 'true'}, Bool: {'s3:ObjectCreationOperation': 'true'}},
      }),
    )
    // Only uploads the processor can read: no customer-provided key (SSE-C), no KMS key of the uploader's, no archive
    // storage class.
    const refuse = (sid: string, conditions: Record<string, Record<string, unknown>>) =>
      this.processingBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject'],
          resources: [this.processingBucket.arnForObjects('*')],
          conditions,
        }),
      )
    refuse('RefuseCustomerKeys', {Null: {'s3:x-amz-server-side-encryption-customer-algorithm': 'false'}})
    refuse('RefuseOtherEncryption', {StringNotEqualsIfExists: {'s3:x-amz-server-side-encryption': 'AES256'}})
    refuse('RefuseOtherStorageClasses', {StringNotEqualsIfExists: {'s3:x-amz-storage-class': 'STANDARD'}})
    // The native property, not the L2 `eventBridgeEnabled` (which adds a custom-resource Lambda).
    ;(this.processingBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
      'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled',
      true,
    )
    this.quarantineBucket = new s3.Bucket(this, 'QuarantineBucket', {
      ...secure,
      bucketName: props.quarantineBucketName,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIX,
      lifecycleRules: [
        {
          id: 'ExpireOldNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(QUARANTINE_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
        },
        // A delete marker left alone once its last noncurrent version expired hides nothing: remove it.
        {id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true},
      ],
    })
  }

  /**
   * In both buckets, only these roles and the deployer (so `destroy --destroy-data` can empty them) may write or
   * delete objects, whatever else their IAM policies allow (aws:PrincipalArn).
   */
  pinWriters(roles: iam.IRole[], deployerArn?: string): void {
    const writers = [...roles.map((role) => role.roleArn), ...(deployerArn ? principalArnPatterns(deployerArn) : [])]
    for (const bucket of [this.processingBucket, this.quarantineBucket])
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyPipelineWriters',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: OBJECT_WRITES,
          resources: [bucket.arnForObjects('*')],
          conditions: {ArnNotLike: {'aws:PrincipalArn': writers}},
        }),
      )
  }

  /**
   * Within the writers pinned above, only these roles may write replacements (REPLACE_PREFIX): whoever else writes
   * there, even with s3:PutObject on the whole bucket (the processor, the deployer), is refused by the bucket itself.
   */
  admitReplacementsFrom(roles: iam.IRole[]): void {
    this.reservePrefix('ReplacementsOnlyFromAllowedRoles', REPLACE_PREFIX, roles)
  }

  /** Likewise, only the selftest role may write canaries (SELFTEST_PREFIX). */
  admitCanariesFrom(role: iam.IRole): void {
    this.reservePrefix('CanariesOnlyFromSelftestRole', SELFTEST_PREFIX, [role])
  }

  private reservePrefix(sid: string, prefix: string, roles: iam.IRole[]): void {
    this.processingBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.processingBucket.arnForObjects(`${prefix}*`)],
        conditions: {ArnNotEquals: {'aws:PrincipalArn': roles.map((role) => role.roleArn)}},
      }),
    )
  }
}
