import {InvokeCommand, LambdaClient, type LambdaClientConfig} from '@aws-sdk/client-lambda'

let lambda: LambdaClient | undefined

/**
 * Delivers the event to this same function again, asynchronously: Lambda queues it and answers at once. Its own
 * module, imported on first use: only a long batch needs the Lambda client, so a cold start does not load it.
 */
export async function invokeSelf(event: unknown, clientConfig: LambdaClientConfig) {
  lambda ??= new LambdaClient(clientConfig)
  // Set by the Lambda runtime in every function.
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME
  if (!functionName) throw new Error('The processor needs the environment variable AWS_LAMBDA_FUNCTION_NAME')
  await lambda.send(
    new InvokeCommand({FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(event)}),
  )
}
