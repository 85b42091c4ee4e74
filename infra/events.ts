import {Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {alarmToTopic} from './alarms.js'

export const EVENT_RETRY_ATTEMPTS = 8
export const EVENT_MAX_AGE = Duration.hours(6)

export interface UploadEventsProps {
  processingBucket: s3.IBucket
  processor: lambda.IFunction
  /** The processor's own queue for failed asynchronous invocations. */
  processorDeadLetterQueue: sqs.IQueue
  /** Uploads the processor skipped: its own Skipped metric. */
  skippedMetric: cloudwatch.IMetric
  topic: sns.ITopic
}

/**
 * "Object Created" in the processing bucket → the processor, with retries and a dead-letter queue; an alarm on
 * either dead-letter queue holding messages, or on the processor skipping an upload, notifies the topic.
 */
export class UploadEvents extends Construct {
  readonly rule: events.Rule
  readonly deadLetterQueue: sqs.Queue
  readonly alarms: cloudwatch.Alarm[]

  constructor(scope: Construct, id: string, props: UploadEventsProps) {
    super(scope, id)
    this.deadLetterQueue = new sqs.Queue(this, 'UndeliveredEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: 'Uploads to the EventPulse processing bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {bucket: {name: [props.processingBucket.bucketName]}},
      },
      targets: [
        new targets.LambdaFunction(props.processor, {
          retryAttempts: EVENT_RETRY_ATTEMPTS,
          maxEventAge: EVENT_MAX_AGE,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    })
    const watched = [
      {id: 'UndeliveredEventsAlarm', queue: this.deadLetterQueue, what: 'upload events EventBridge could not deliver'},
      {id: 'FailedInvocationsAlarm', queue: props.processorDeadLetterQueue, what: 'processor invocations that failed'},
    ]
    this.alarms = watched.map(({id, queue, what}) =>
      alarmToTopic(
        this,
        id,
        {
          alarmDescription: `EventPulse dead-letter queue holds ${what}`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        props.topic,
      ),
    )
    // A skip is usually harmless (an event delivered again after its upload was handled), but an event whose
    // object cannot be found at all looks the same: someone should look.
    this.alarms.push(
      alarmToTopic(
        this,
        'SkippedUploadsAlarm',
        {
          alarmDescription: 'EventPulse processor skipped uploads (nothing to do, or an object it could not find)',
          metric: props.skippedMetric,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        props.topic,
      ),
    )
  }
}
