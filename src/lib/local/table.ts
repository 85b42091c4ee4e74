import {CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient} from '@aws-sdk/client-dynamodb'

import {CATALOG_TABLE, catalogKeyAttributes} from '#contract/table.js'

/** The CreateTable request for a catalog table shaped like the stack's (both come from CATALOG_TABLE). */
export function catalogTableInput(table: string): CreateTableCommandInput {
  return {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      {AttributeName: CATALOG_TABLE.partitionKey, KeyType: 'HASH'},
      {AttributeName: CATALOG_TABLE.sortKey, KeyType: 'RANGE'},
    ],
    AttributeDefinitions: catalogKeyAttributes().map((name) => ({AttributeName: name, AttributeType: 'S'})),
    GlobalSecondaryIndexes: CATALOG_TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [{AttributeName: index.partitionKey, KeyType: 'HASH'}],
      Projection: {ProjectionType: index.projection, NonKeyAttributes: [...index.nonKeyAttributes]},
    })),
  }
}

/** Creates the catalog table unless it exists. */
export async function ensureTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand(catalogTableInput(table)))
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error
  }
}
