import {Stack} from 'aws-cdk-lib'
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import {Construct} from 'constructs'

import {ACCOUNT_ID} from '#contract/deploy-settings.js'
import {SOURCE_KEY_INDEX} from '#contract/pipeline-contract.js'

/** A trusted principal as configured: a 12-digit account id or an IAM ARN (user, role, or account root). */
export function trustedPrincipal(value: string): iam.IPrincipal {
  return ACCOUNT_ID.test(value) ? new iam.AccountPrincipal(value) : new iam.ArnPrincipal(value)
}

export interface AccessProps {
  processingBucket: s3.IBucket
  quarantineBucket: s3.IBucket
  table: dynamodb.ITableV2
  /** Empty: this account (whoever its IAM policies allow). */
  trustedPrincipals: string[]
}

/** The roles the CLI works through, and the managed policy that lets people run the CLI. */
export class Access extends Construct {
  readonly uploaderRole: iam.Role
  readonly quarantineAdminRole: iam.Role
  readonly cliPolicy: iam.ManagedPolicy

  constructor(scope: Construct, id: string, props: AccessProps) {
    super(scope, id)
    const trustedBy =
      props.trustedPrincipals.length > 0
        ? new iam.CompositePrincipal(...props.trustedPrincipals.map(trustedPrincipal))
        : new iam.AccountRootPrincipal()
    const {processingBucket, quarantineBucket, table} = props

    this.uploaderRole = new iam.Role(this, 'UploaderRole', {
      assumedBy: trustedBy,
      description: 'EventPulse uploader: put records into processing and see what became of them',
      inlinePolicies: {
        Upload: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({actions: ['s3:PutObject'], resources: [processingBucket.arnForObjects('*')]}),
            new iam.PolicyStatement({
              actions: ['s3:ListBucket'],
              resources: [processingBucket.bucketArn, quarantineBucket.bucketArn],
            }),
            new iam.PolicyStatement({
              actions: ['s3:GetObject'],
              resources: [processingBucket.arnForObjects('*'), quarantineBucket.arnForObjects('*')],
            }),
            new iam.PolicyStatement({
              actions: ['dynamodb:GetItem', 'dynamodb:Query'],
              resources: [table.tableArn, `${table.tableArn}/index/${SOURCE_KEY_INDEX}`],
            }),
          ],
        }),
      },
    })

    this.quarantineAdminRole = new iam.Role(this, 'QuarantineAdminRole', {
      assumedBy: trustedBy,
      description: 'EventPulse quarantine admin: inspect, delete and release quarantined objects',
      inlinePolicies: {
        Quarantine: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['s3:ListBucket'],
              resources: [quarantineBucket.bucketArn, processingBucket.bucketArn],
            }),
            new iam.PolicyStatement({
              actions: ['s3:GetObject', 's3:DeleteObject'],
              resources: [quarantineBucket.arnForObjects('*')],
            }),
            new iam.PolicyStatement({actions: ['s3:PutObject'], resources: [processingBucket.arnForObjects('*')]}),
            // `release --wait` follows released objects as `upload --wait` does: in processing, stored, quarantined.
            new iam.PolicyStatement({actions: ['s3:GetObject'], resources: [processingBucket.arnForObjects('*')]}),
            new iam.PolicyStatement({
              actions: ['dynamodb:Query'],
              resources: [`${table.tableArn}/index/${SOURCE_KEY_INDEX}`],
            }),
          ],
        }),
      },
    })

    const stack = Stack.of(this)
    this.cliPolicy = new iam.ManagedPolicy(this, 'CliPolicy', {
      description: `Run the eventpulse CLI against stack ${stack.stackName}: attach to a user or group`,
      statements: [
        new iam.PolicyStatement({
          actions: ['cloudformation:DescribeStacks'],
          // AWS::StackId is this stack's exact ARN, generated id included: no wildcard needed.
          resources: [stack.stackId],
        }),
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: [this.uploaderRole.roleArn, this.quarantineAdminRole.roleArn],
        }),
      ],
    })
  }
}
