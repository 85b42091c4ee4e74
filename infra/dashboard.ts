import {Duration, Stack} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import {Construct} from 'constructs'

import {type QuarantineReason, QUARANTINE_REASONS} from '#contract/pipeline-contract.js'
import {outcomeMetric} from './outcome-metrics.js'

export interface PipelineDashboardProps {
  processingBucketName: string
  processor: lambda.IFunction
  /** The rule's queue of events it could not deliver, and the processor's queue of failed invocations. */
  deadLetterQueues: {undeliveredEvents: sqs.IQueue; failedInvocations: sqs.IQueue}
}

const PERIOD = Duration.minutes(5)

/**
 * One CloudWatch dashboard for the pipeline: what became of uploads (the processor's outcome metrics), quarantines by
 * reason, the two dead-letter queues' depth, and the processor's errors, throttles and duration.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard
  /** The dashboard in the CloudWatch console, for the DashboardUrl output. */
  readonly url: string

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id)
    const bucket = props.processingBucketName
    const {undeliveredEvents, failedInvocations} = props.deadLetterQueues
    const queueDepth = (queue: sqs.IQueue, label: string) =>
      queue.metricApproximateNumberOfMessagesVisible({statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD, label})
    const fn = props.processor
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Uploads (a batch counts its records)',
            left: (['stored', 'unchanged', 'skipped', 'failed', 'recoveredBySweep'] as const).map((outcome) =>
              outcomeMetric(outcome, bucket),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Quarantined, by reason',
            left: (Object.keys(QUARANTINE_REASONS) as QuarantineReason[]).map((reason) =>
              outcomeMetric('quarantined', bucket, reason).with({label: reason}),
            ),
            stacked: true,
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queues (messages waiting)',
            left: [
              queueDepth(undeliveredEvents, 'Undelivered upload events'),
              queueDepth(failedInvocations, 'Failed processor invocations'),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Processor errors and throttles',
            left: [
              fn.metricErrors({statistic: cloudwatch.Stats.SUM, period: PERIOD}),
              fn.metricThrottles({statistic: cloudwatch.Stats.SUM, period: PERIOD}),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Processor duration',
            left: [
              fn.metricDuration({statistic: cloudwatch.Stats.p(50), period: PERIOD, label: 'p50'}),
              fn.metricDuration({statistic: cloudwatch.Stats.p(99), period: PERIOD, label: 'p99'}),
            ],
            width: 8,
          }),
        ],
      ],
    })
    // Tokens (the stack's region, the generated dashboard name) in a string: CloudFormation joins them at deploy time.
    const region = Stack.of(this).region
    this.url =
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
      `#dashboards:name=${this.dashboard.dashboardName}`
  }
}
