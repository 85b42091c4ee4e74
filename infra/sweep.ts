import {Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as sns from 'aws-cdk-lib/aws-sns'
import {Construct} from 'constructs'

import {SWEEP_REQUEST} from '#contract/pipeline-contract.js'
import {alarmToTopic} from './alarms.js'

/** The metric the processor's `recoveredBySweep` log lines count into, per processing bucket. */
export const RECOVERED_BY_SWEEP_METRIC = {
  namespace: 'EventPulse',
  name: 'ObjectsRecoveredBySweep',
  dimension: 'Bucket',
} as const

export interface SweepScheduleProps {
  processor: lambda.IFunction
  processorLogGroup: logs.ILogGroup
  processingBucketName: string
  everySeconds: number
  topic: sns.ITopic
}

/**
 * Invokes the processor in sweep mode on a schedule, so objects whose event never came are still processed; an alarm
 * tells the topic when the sweep recovers any (someone's events are going missing).
 */
export class SweepSchedule extends Construct {
  readonly rule: events.Rule
  readonly alarm: cloudwatch.Alarm

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id)
    const every = Duration.seconds(props.everySeconds)
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Sweeps the EventPulse processing bucket for objects whose event never came',
      schedule: events.Schedule.rate(every),
      // A sweep that cannot start is replaced by the next one; retrying it past then would only overlap.
      targets: [
        new targets.LambdaFunction(props.processor, {
          event: events.RuleTargetInput.fromObject(SWEEP_REQUEST),
          maxEventAge: every,
          retryAttempts: 2,
        }),
      ],
    })
    const recovered = new logs.MetricFilter(this, 'RecoveredBySweep', {
      logGroup: props.processorLogGroup,
      filterPattern: logs.FilterPattern.booleanValue('$.recoveredBySweep', true),
      metricNamespace: RECOVERED_BY_SWEEP_METRIC.namespace,
      metricName: RECOVERED_BY_SWEEP_METRIC.name,
      metricValue: '1',
      dimensions: {[RECOVERED_BY_SWEEP_METRIC.dimension]: '$.bucket'},
    })
    this.alarm = alarmToTopic(
      this,
      'RecoveredBySweepAlarm',
      {
        alarmDescription: 'EventPulse sweep processed objects whose upload event never came',
        metric: recovered.metric({
          dimensionsMap: {[RECOVERED_BY_SWEEP_METRIC.dimension]: props.processingBucketName},
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(5),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
      props.topic,
    )
  }
}
