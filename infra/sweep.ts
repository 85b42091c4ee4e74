import {Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {alarmToTopic} from './alarms.js'
import {outcomeMetric} from './outcome-metrics.js'

export interface SweepScheduleProps {
  processor: lambda.IFunction
  processingBucketName: string
  everySeconds: number
  topic: sns.ITopic
}

/**
 * Invokes the processor in sweep mode on a schedule, so objects whose event never came are still processed; an alarm
 * tells the topic when the sweep recovers any (someone's events are going missing), another when a sweep could not be
 * started at all (its event in the schedule's dead-letter queue).
 */
export class SweepSchedule extends Construct {
  readonly rule: events.Rule
  readonly deadLetterQueue: sqs.Queue
  readonly alarms: cloudwatch.Alarm[]

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id)
    const every = Duration.seconds(props.everySeconds)
    this.deadLetterQueue = new sqs.Queue(this, 'UnstartedSweeps', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Sweeps the EventPulse processing bucket for objects whose event never came',
      schedule: events.Schedule.rate(every),
      // A sweep that cannot start is replaced by the next one; retrying it past then would only overlap.
      targets: [
        new targets.LambdaFunction(props.processor, {
          event: events.RuleTargetInput.fromObject(SWEEP_REQUEST),
          maxEventAge: every,
          retryAttempts: 2,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    })
    const watch = (id: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      alarmToTopic(
        this,
        id,
        {
          alarmDescription,
          metric,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        props.topic,
      )
    this.alarms = [
      watch(
        'RecoveredBySweepAlarm',
        'EventPulse sweep processed objects whose upload event never came',
        outcomeMetric('recoveredBySweep', props.processingBucketName),
      ),
      watch(
        'UnstartedSweepsAlarm',
        'EventPulse scheduled sweeps could not invoke the processor',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
    ]
  }
}
