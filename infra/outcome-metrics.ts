import {Duration} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'

import {type CountedOutcome, METRICS, type QuarantineReason} from '#contract/pipeline-contract.js'

/**
 * One of the processor's outcome metrics (METRICS, published from its log in the embedded metric format) for this
 * pipeline's processing bucket: a sum per 5 minutes. `reason` picks one reason of Quarantined.
 */
export function outcomeMetric(
  outcome: CountedOutcome,
  processingBucketName: string,
  reason?: QuarantineReason,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS.namespace,
    metricName: METRICS.names[outcome],
    dimensionsMap: {
      [METRICS.dimensions.service]: METRICS.service,
      [METRICS.dimensions.bucket]: processingBucketName,
      ...(reason ? {[METRICS.dimensions.reason]: reason} : {}),
    },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
  })
}
