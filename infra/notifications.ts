import {Duration, RemovalPolicy, Stack} from 'aws-cdk-lib'
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import {Construct} from 'constructs'

import {CANARY_ATTRIBUTE_VALUE, NOTIFICATION_ATTRIBUTES, type Outcome} from '#contract/pipeline-contract.js'
import {alarmArn} from './alarms.js'

export interface NotificationsProps {
  removalPolicy: RemovalPolicy
  email?: string
  notifyQuarantinedOnly: boolean
}

const QUARANTINED: Outcome = 'quarantined'

/** How long a canary notification waits in the selftest queue: longer than any selftest waits, and no more. */
const SELFTEST_QUEUE_RETENTION = Duration.hours(1)

/** Actions a publisher needs on the key of an encrypted topic (SNS asks for a data key, then decrypts it). */
export const TOPIC_KEY_PUBLISH_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt']

/**
 * The notifications topic, encrypted with a customer-managed key: the AWS-managed SNS key's policy cannot admit
 * CloudWatch alarms, and the dead-letter alarms must always get through.
 */
export class Notifications extends Construct {
  readonly key: kms.Key
  readonly topic: sns.Topic
  /** Canary notifications only (the `canary` attribute), for `selftest` to read: nothing else reads or receives it. */
  readonly selftestQueue: sqs.Queue

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id)
    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the EventPulse notifications topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    })
    this.topic = new sns.Topic(this, 'Topic', {masterKey: this.key, enforceSSL: true})
    if (props.email) {
      // Alarm messages carry no attributes: "outcome absent" lets them through the quarantined-only filter. Canaries
      // (selftest's records) are for the selftest queue, not for people.
      const notCanary = {[NOTIFICATION_ATTRIBUTES.canary]: sns.SubscriptionFilter.notExistsFilter()}
      const filterPolicy = props.notifyQuarantinedOnly
        ? {
            ...notCanary,
            [NOTIFICATION_ATTRIBUTES.outcome]: new sns.SubscriptionFilter([
              ...sns.SubscriptionFilter.stringFilter({allowlist: [QUARANTINED]}).conditions,
              ...sns.SubscriptionFilter.notExistsFilter().conditions,
            ]),
          }
        : notCanary
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email, {filterPolicy}))
    }
    // SQS costs nothing without requests: idle, this queue is free; each selftest makes a few long polls.
    this.selftestQueue = new sqs.Queue(this, 'SelftestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: SELFTEST_QUEUE_RETENTION,
      // It holds nothing worth keeping: canary notifications for an hour at most.
      removalPolicy: RemovalPolicy.DESTROY,
    })
    this.topic.addSubscription(
      new subscriptions.SqsSubscription(this.selftestQueue, {
        rawMessageDelivery: true,
        filterPolicy: {
          [NOTIFICATION_ATTRIBUTES.canary]: sns.SubscriptionFilter.stringFilter({allowlist: [CANARY_ATTRIBUTE_VALUE]}),
        },
      }),
    )
  }

  /**
   * CloudWatch acts for any account that asks: admit it only for these alarms of this stack, by their exact ARNs
   * (the confused-deputy guidance), on the key and on the topic, whose policy replaces SNS's default one.
   */
  admitAlarms(alarms: cloudwatch.Alarm[]): void {
    const fromTheseAlarms = {
      StringEquals: {'aws:SourceAccount': Stack.of(this).account},
      ArnEquals: {'aws:SourceArn': alarms.map(alarmArn)},
    }
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com')
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: TOPIC_KEY_PUBLISH_ACTIONS,
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    )
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    )
  }

  /** Lets a publisher (the processor) use the key, in the key policy as well as in its own policy. */
  admitPublisher(role: iam.IRole): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowProcessorToPublish',
        principals: [role],
        actions: TOPIC_KEY_PUBLISH_ACTIONS,
        resources: ['*'],
      }),
    )
  }
}
