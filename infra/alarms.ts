import {Arn, ArnFormat, Stack} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type {Construct} from 'constructs'

/**
 * Every alarm of the stack is named `<stack name>-<id>`: the key and topic policies admit CloudWatch for alarms of
 * that name only (aws:SourceArn), and naming them explicitly avoids a dependency cycle between key, topic and alarms.
 */
const alarmNamePrefix = (scope: Construct): string => `${Stack.of(scope).stackName}-`

/** The ARN pattern of this stack's alarms, for aws:SourceArn conditions. */
export function stackAlarmArnPattern(scope: Construct): string {
  return Arn.format(
    {
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${alarmNamePrefix(scope)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(scope),
  )
}

/** An alarm that notifies the topic, named so that the topic's and key's policies admit it. */
export function alarmToTopic(
  scope: Construct,
  id: string,
  props: Omit<cloudwatch.AlarmProps, 'alarmName'>,
  topic: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {...props, alarmName: `${alarmNamePrefix(scope)}${id}`})
  alarm.addAlarmAction(new actions.SnsAction(topic))
  return alarm
}
