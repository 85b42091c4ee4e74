import {randomUUID} from 'node:crypto'

import {type DynamoDBClient, paginateScan, UpdateItemCommand} from '@aws-sdk/client-dynamodb'

import {isConditionalCheckFailed} from '#core/aws-responses.js'
import {OUTCOMES_TABLE} from '#contract/table.js'

/**
 * A batch lease's owner: the pipeline instance, then the delivery (`<instance>:<uuid>`), so that a local pipeline
 * that takes over the lock of one that died can release that instance's leases (releaseLeasesOf).
 */
export const leaseOwner = (instanceId: string): string => `${instanceId}:${randomUUID()}`

/**
 * Gives up every unexpired batch lease a pipeline instance held: it died, so its batches continue at once rather than
 * when the leases expire. Reads the whole outcomes table (a local one: small); an owner that changed meanwhile keeps
 * its lease. Returns the number released.
 */
export async function releaseLeasesOf(
  dynamodb: DynamoDBClient,
  outcomesTable: string,
  instanceId: string,
  now = Date.now(),
): Promise<number> {
  const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
  const names = {'#owner': attributes.leaseOwner, '#until': attributes.leaseExpiresAt}
  let released = 0
  const pages = paginateScan(
    {client: dynamodb},
    {
      TableName: outcomesTable,
      FilterExpression: 'begins_with(#owner, :instance) AND #until > :now',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {':instance': {S: `${instanceId}:`}, ':now': {N: String(now)}},
    },
  )
  for await (const page of pages)
    for (const item of page.Items ?? []) {
      try {
        await dynamodb.send(
          new UpdateItemCommand({
            TableName: outcomesTable,
            Key: {[partitionKey]: item[partitionKey], [sortKey]: item[sortKey]},
            UpdateExpression: 'SET #until = :released',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {':released': {N: '0'}, ':owner': item[attributes.leaseOwner]},
          }),
        )
        released++
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error
      }
    }
  return released
}
