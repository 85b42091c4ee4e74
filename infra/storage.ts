import {Duration, type RemovalPolicy} from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as s3 from 'aws-cdk-lib/aws-s3'
import {Construct} from 'constructs'

import {QUARANTINE_RETENTION_DAYS, REPLACE_PREFIX} from '#contract/pipeline-contract.js'

export interface StorageProps {
  removalPolicy: RemovalPolicy
  processingBucketName?: string
  quarantineBucketName?: string
}

const INCOMPLETE_UPLOAD_DAYS = 7

/** The processing bucket (uploads land here) and the quarantine bucket (rejected uploads are kept here). */
export class Storage extends Construct {
  readonly processingBucket: s3.Bucket
  readonly quarantineBucket: s3.Bucket

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id)
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.removalPolicy,
    }
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
    // The native property, not the L2 `eventBridgeEnabled` (which adds a custom-resource Lambda).
    ;(this.processingBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
      'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled',
      true,
    )
    this.quarantineBucket = new s3.Bucket(this, 'QuarantineBucket', {
      ...secure,
      bucketName: props.quarantineBucketName,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireOldNoncurrentVersions',
          noncurrentVersionExpiration: Duration.days(QUARANTINE_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
        },
      ],
    })
  }

  /**
   * Only these roles may write replacements (REPLACE_PREFIX): whoever else writes there, even with s3:PutObject on the
   * whole bucket, is refused by the bucket itself.
   */
  admitReplacementsFrom(roles: iam.IRole[]): void {
    this.processingBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReplacementsOnlyFromAllowedRoles',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.processingBucket.arnForObjects(`${REPLACE_PREFIX}*`)],
        conditions: {ArnNotEquals: {'aws:PrincipalArn': roles.map((role) => role.roleArn)}},
      }),
    )
  }
}
