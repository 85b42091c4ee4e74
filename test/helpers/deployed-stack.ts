import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {AssumeRoleCommand, GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {vi} from 'vitest'

import {isolatedXdg} from './run-cli.js'

/**
 * A deployed stack at the SDK boundary, for the tests of commands that resolve their target from its outputs. The
 * mocks replace every CloudFormation and STS client of the process.
 */
export function mockDeployedStack() {
  const cloudFormation = mockClient(CloudFormationClient)
  const sts = mockClient(STSClient)
  return {
    cloudFormation,
    sts,
    /**
     * From now on CloudFormation answers with these outputs and STS lets any role be assumed, in an environment with
     * keys, a region and a fresh XDG home (no cached outputs), nothing of the developer's.
     */
    answerWith(outputs: Record<string, string>): void {
      cloudFormation.reset()
      sts.reset()
      for (const [name, value] of Object.entries({
        ...isolatedXdg(),
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 's',
        AWS_PROFILE: '',
        AWS_ENDPOINT_URL: '',
      }))
        vi.stubEnv(name, value)
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'EventPulse',
            StackStatus: 'UPDATE_COMPLETE',
            CreationTime: new Date(),
            Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
          },
        ],
      })
      sts
        .on(GetCallerIdentityCommand)
        .resolves({Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/alice', UserId: 'AIDAALICE'})
      sts.on(AssumeRoleCommand).resolves({
        Credentials: {
          AccessKeyId: 'A',
          SecretAccessKey: 'S',
          SessionToken: 'T',
          Expiration: new Date(Date.now() + 3e6),
        },
      })
    },
  }
}
