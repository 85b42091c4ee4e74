import {Arn, ArnFormat, Stack} from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type {Construct} from 'constructs'

/**
 * Every alarm of the stack is named `<stack name>-<id>`: the key and topic policies admit CloudWatch for these alarms'
 * exact ARNs only (aws:SourceArn), and naming them explicitly avoids a dependency cycle between key, topic and alarms.
 */
const alarmNamePrefix = (scope: Construct): string => `${Stack.of(scope).stackName}-`

/** The exact ARN of an alarm made by alarmToTopic, from its name (no reference to the alarm itself). */
export function alarmArn(alarm: cloudwatch.Alarm): string {
  return Arn.format(
    {
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(alarm),
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
