import {Stack} from 'aws-cdk-lib'
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {ACCOUNT_ID} from '#contract/deploy-settings.js'
import {
  HISTORY_SOURCE_KEY_INDEX,
  REPLACE_PREFIX,
  SELFTEST_ARTIST_ID,
  SELFTEST_PREFIX,
  SOURCE_KEY_INDEX,
} from '#contract/pipeline-contract.js'
import {TOPIC_KEY_PUBLISH_ACTIONS} from './notifications.js'

/** A trusted principal as configured: a 12-digit account id or an IAM ARN (user, role, or account root). */
export function trustedPrincipal(value: string): iam.PrincipalBase {
  return ACCOUNT_ID.test(value) ? new iam.AccountPrincipal(value) : new iam.ArnPrincipal(value)
}

export interface AccessProps {
  processingBucket: s3.IBucket
  quarantineBucket: s3.IBucket
  table: dynamodb.ITableV2
  outcomesTable: dynamodb.ITableV2
  historyTable: dynamodb.ITableV2
  /** The uploader may write replacements (REPLACE_PREFIX) too; the quarantine-admin always may. */
  uploaderMayReplace: boolean
  /** The rule's and the processor's dead-letter queues, which `dead-letters list|clear` read and clear. */
  deadLetterQueues: sqs.IQueue[]
  /** The processor, which `sweep` invokes. */
  processor: lambda.IFunction
  /** The queue of canary notifications, which `selftest` reads. */
  selftestQueue: sqs.IQueue
  /** The notifications topic and its key: `quarantine accept` and `items revert` announce `replaced` there. */
  topic: sns.ITopic
  topicKey: kms.IKey
  /** Empty: this account (whoever its IAM policies allow). */
  trustedPrincipals: string[]
  /** Required as sts:ExternalId to assume either role (cross-account trust). */
  externalId?: string
  /** Only MFA-authenticated sessions may assume the quarantine-admin role, at most this long after signing in. */
  requireMfa: boolean
  mfaMaxAgeSeconds: number
}

/** What a CLI user needs on a role to assume it naming themselves (the CLI sets SourceIdentity). */
const ASSUME_AS_ONESELF = ['sts:AssumeRole', 'sts:SetSourceIdentity']

/**
 * Trusted callers, each allowed to assume the role and to set the session's source identity: the CLI names the
 * person (from GetCallerIdentity), so the quarantine bucket's access log and CloudTrail name them, not just the role.
 */
class NamedCallers extends iam.CompositePrincipal {
  private readonly callers: iam.IPrincipal[]

  constructor(callers: iam.IPrincipal[]) {
    super(...callers)
    this.callers = callers
  }

  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    for (const caller of this.callers)
      document.addStatements(new iam.PolicyStatement({actions: ASSUME_AS_ONESELF, principals: [caller]}))
  }
}

/**
 * The roles the CLI works through, and the managed policies that let people run the CLI: the uploader's (upload,
 * status, items) and the quarantine admin's (quarantine, dead-letters, sweep), attached apart.
 */
export class Access extends Construct {
  readonly uploaderRole: iam.Role
  readonly quarantineAdminRole: iam.Role
  readonly selftestRole: iam.Role
  readonly uploaderCliPolicy: iam.ManagedPolicy
  readonly adminCliPolicy: iam.ManagedPolicy

  constructor(scope: Construct, id: string, props: AccessProps) {
    super(scope, id)
    const principals =
      props.trustedPrincipals.length > 0
        ? props.trustedPrincipals.map(trustedPrincipal)
        : [new iam.AccountRootPrincipal()]
    const trustedBy = (conditions: Conditions) =>
      new NamedCallers(principals.map((principal) => principal.withConditions(conditions)))
    type Conditions = Record<string, Record<string, unknown>>
    const withExternalId: Conditions = props.externalId ? {StringEquals: {'sts:ExternalId': props.externalId}} : {}
    const withMfa: Conditions = props.requireMfa
      ? {
          Bool: {'aws:MultiFactorAuthPresent': 'true'},
          NumericLessThanEquals: {'aws:MultiFactorAuthAge': String(props.mfaMaxAgeSeconds)},
        }
      : {}
    const {processingBucket, quarantineBucket, table, outcomesTable, historyTable, deadLetterQueues, processor} = props
    const {topic, topicKey} = props
    const replacements = processingBucket.arnForObjects(`${REPLACE_PREFIX}*`)
    const canaryUploads = processingBucket.arnForObjects(`${SELFTEST_PREFIX}*`)

    this.uploaderRole = new iam.Role(this, 'UploaderRole', {
      assumedBy: trustedBy(withExternalId),
      description: 'EventPulse uploader: put records into processing and see what became of them',
      inlinePolicies: {
        Upload: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({actions: ['s3:PutObject'], resources: [processingBucket.arnForObjects('*')]}),
            // Canaries are the selftest role's alone (the bucket policy refuses others too).
            new iam.PolicyStatement({effect: iam.Effect.DENY, actions: ['s3:PutObject'], resources: [canaryUploads]}),
            // Replacements only where the stack says so (the bucket policy refuses them too).
            ...(props.uploaderMayReplace
              ? []
              : [
                  new iam.PolicyStatement({
                    effect: iam.Effect.DENY,
                    actions: ['s3:PutObject'],
                    resources: [replacements],
                  }),
                ]),
            new iam.PolicyStatement({
              actions: ['s3:ListBucket'],
              resources: [processingBucket.bucketArn, quarantineBucket.bucketArn],
            }),
            // `items history` reads an item's earlier versions; `status` finds a replaced upload's version by its key.
            new iam.PolicyStatement({
              actions: ['dynamodb:Query'],
              resources: [historyTable.tableArn, `${historyTable.tableArn}/index/${HISTORY_SOURCE_KEY_INDEX}`],
            }),
            // Never object content, in either bucket: a quarantined upload's reason is a tag on its entry.
            new iam.PolicyStatement({
              actions: ['s3:GetObjectTagging'],
              resources: [quarantineBucket.arnForObjects('*')],
            }),
            new iam.PolicyStatement({
              actions: ['dynamodb:GetItem', 'dynamodb:Query'],
              resources: [table.tableArn, `${table.tableArn}/index/${SOURCE_KEY_INDEX}`],
            }),
            // `upload` looks records up before sending, 100 at a time, to leave out those already stored exactly so;
            // `items list --all` scans the catalog (what Query already shows, artist by artist).
            new iam.PolicyStatement({actions: ['dynamodb:BatchGetItem', 'dynamodb:Scan'], resources: [table.tableArn]}),
            // `status` and `upload --wait` read what became of uploads that left no item or entry (`unchanged`): a
            // Query by source key (and ETag) covers both.
            new iam.PolicyStatement({actions: ['dynamodb:Query'], resources: [outcomesTable.tableArn]}),
          ],
        }),
      },
    })

    this.quarantineAdminRole = new iam.Role(this, 'QuarantineAdminRole', {
      assumedBy: trustedBy({...withExternalId, ...withMfa}),
      description: 'EventPulse quarantine admin: inspect, delete and release quarantined objects',
      inlinePolicies: {
        Quarantine: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['s3:ListBucket', 's3:ListBucketVersions'],
              resources: [quarantineBucket.bucketArn],
            }),
            // Versions: `quarantine rm --purge` deletes every version of an entry.
            new iam.PolicyStatement({
              actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'],
              resources: [quarantineBucket.arnForObjects('*')],
            }),
            new iam.PolicyStatement({actions: ['s3:PutObject'], resources: [processingBucket.arnForObjects('*')]}),
            // `release --wait` follows released objects as `upload --wait` does: waiting in processing (a listing),
            // stored (the source-key index), unchanged (the outcomes table) or quarantined (the entry's tags).
            new iam.PolicyStatement({actions: ['s3:ListBucket'], resources: [processingBucket.bucketArn]}),
            new iam.PolicyStatement({
              actions: ['dynamodb:Query'],
              resources: [
                `${table.tableArn}/index/${SOURCE_KEY_INDEX}`,
                outcomesTable.tableArn,
                `${historyTable.tableArn}/index/${HISTORY_SOURCE_KEY_INDEX}`,
              ],
            }),
            // `dead-letters list` reads the dead-letter queues without consuming them (receive, then visible again;
            // the batch calls need the same actions) and `clear` deletes messages; whether a letter's object still
            // waits comes from the processing bucket's listing, allowed above.
            new iam.PolicyStatement({
              actions: [
                'sqs:ReceiveMessage',
                'sqs:ChangeMessageVisibility',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
              ],
              resources: deadLetterQueues.map((queue) => queue.queueArn),
            }),
            // `upload --replace` looks records up before sending, as the uploader does; `items revert` and `quarantine
            // accept` replace an item: its history's Put, then the item's Put conditional on its version (versions.ts).
            // The accepted item names the entry's source key: `status` finds it there, nothing else is recorded.
            new iam.PolicyStatement({
              actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
              resources: [table.tableArn],
            }),
            new iam.PolicyStatement({
              actions: ['dynamodb:Query', 'dynamodb:PutItem'],
              resources: [historyTable.tableArn],
            }),
            // `sweep` runs the processor's sweep now.
            new iam.PolicyStatement({actions: ['lambda:InvokeFunction'], resources: [processor.functionArn]}),
          ],
        }),
      },
    })

    this.selftestRole = new iam.Role(this, 'SelftestRole', {
      assumedBy: trustedBy(withExternalId),
      description: 'EventPulse selftest: send canary records through the pipeline, follow them, and remove them',
      inlinePolicies: {Selftest: selftestPolicy(props)},
    })

    // `quarantine accept` and `items revert` announce the replacement, as the processor does its outcomes. The key's
    // policy admits the account, so this policy is enough for the key; it is one of its own rather than inline, so
    // that the role stays free of the topic (whose key the processor's policy names: the role names the processor).
    new iam.Policy(this, 'QuarantineAdminAnnouncePolicy', {
      roles: [this.quarantineAdminRole],
      statements: [
        new iam.PolicyStatement({actions: ['sns:Publish'], resources: [topic.topicArn]}),
        new iam.PolicyStatement({actions: TOPIC_KEY_PUBLISH_ACTIONS, resources: [topicKey.keyArn]}),
      ],
    })

    const stack = Stack.of(this)
    const cliPolicy = (id: string, who: string, roles: iam.Role[]) =>
      new iam.ManagedPolicy(this, id, {
        description: `Run the eventpulse CLI ${who} against stack ${stack.stackName}: attach to a user or group`,
        statements: [
          new iam.PolicyStatement({
            actions: ['cloudformation:DescribeStacks'],
            // AWS::StackId is this stack's exact ARN, generated id included: no wildcard needed.
            resources: [stack.stackId],
          }),
          new iam.PolicyStatement({actions: ASSUME_AS_ONESELF, resources: roles.map((role) => role.roleArn)}),
        ],
      })
    // The construct id of the one CLI policy of earlier versions: a redeploy narrows that very policy, attachments
    // kept, to the uploader's, rather than deleting a policy still attached to people.
    // Whoever uploads may also prove the pipeline works (`selftest`, from a scheduler too: no MFA).
    this.uploaderCliPolicy = cliPolicy('CliPolicy', 'as an uploader', [this.uploaderRole, this.selftestRole])
    this.adminCliPolicy = cliPolicy('AdminCliPolicy', 'as a quarantine admin', [this.quarantineAdminRole])
  }
}

/**
 * What `selftest` may do, and only to canaries: write under SELFTEST_PREFIX (which no other role may), list and read
 * the tags of what became of them there, read and delete items under SELFTEST_ARTIST_ID only (dynamodb:LeadingKeys),
 * query and delete outcome records of its own keys only, delete its quarantine entries and their versions, and read
 * the queue of canary notifications. It needs no MFA (a scheduler runs it), because it can touch nothing else.
 */
function selftestPolicy(props: AccessProps): iam.PolicyDocument {
  const {processingBucket, quarantineBucket, table, outcomesTable, selftestQueue} = props
  const canaryKeys = `${SELFTEST_PREFIX}*`
  const listingCanaries = {StringLike: {'s3:prefix': [canaryKeys]}}
  return new iam.PolicyDocument({
    statements: [
      // Delete too: a canary the pipeline never took is removed from processing when selftest gives up on it.
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [processingBucket.arnForObjects(canaryKeys)],
      }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [processingBucket.bucketArn],
        conditions: listingCanaries,
      }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: [quarantineBucket.bucketArn],
        conditions: listingCanaries,
      }),
      // Entries of canaries only, every version of them; their reason is read from the tags, never their content.
      new iam.PolicyStatement({
        actions: ['s3:GetObjectTagging', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [quarantineBucket.arnForObjects(canaryKeys)],
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: {'ForAllValues:StringEquals': {'dynamodb:LeadingKeys': [SELFTEST_ARTIST_ID]}},
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [outcomesTable.tableArn],
        conditions: {'ForAllValues:StringLike': {'dynamodb:LeadingKeys': [canaryKeys]}},
      }),
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        resources: [selftestQueue.queueArn],
      }),
    ],
  })
}
