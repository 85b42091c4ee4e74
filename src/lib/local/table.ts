import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  paginateScan,
  PutItemCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb'

import {CATALOG_TABLE, catalogKeyAttributes, HISTORY_TABLE, OUTCOMES_TABLE} from '#contract/table.js'

/** An on-demand table keyed by two string attributes, declaring `keyAttributes` (its indexes' keys too). */
function keyedTable(
  table: string,
  keys: {partitionKey: string; sortKey: string},
  keyAttributes: string[],
): CreateTableCommandInput {
  return {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      {AttributeName: keys.partitionKey, KeyType: 'HASH'},
      {AttributeName: keys.sortKey, KeyType: 'RANGE'},
    ],
    AttributeDefinitions: keyAttributes.map((name) => ({AttributeName: name, AttributeType: 'S'})),
  }
}

/** The CreateTable request for a catalog table shaped like the stack's (both come from CATALOG_TABLE). */
export function catalogTableInput(table: string): CreateTableCommandInput {
  return {
    ...keyedTable(table, CATALOG_TABLE, catalogKeyAttributes()),
    GlobalSecondaryIndexes: CATALOG_TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [{AttributeName: index.partitionKey, KeyType: 'HASH'}],
      Projection: {ProjectionType: index.projection, NonKeyAttributes: [...index.nonKeyAttributes]},
    })),
  }
}

/** The CreateTable request for an outcomes table shaped like the stack's (TTL is the stack's business; dynalite has none). */
export function outcomesTableInput(table: string): CreateTableCommandInput {
  return keyedTable(table, OUTCOMES_TABLE, [OUTCOMES_TABLE.partitionKey, OUTCOMES_TABLE.sortKey])
}

/** The CreateTable request for a history table shaped like the stack's: versions are numbers. */
export function historyTableInput(table: string): CreateTableCommandInput {
  const index = HISTORY_TABLE.sourceKeyIndex
  return {
    ...keyedTable(table, HISTORY_TABLE, [HISTORY_TABLE.partitionKey]),
    AttributeDefinitions: [
      {AttributeName: HISTORY_TABLE.partitionKey, AttributeType: 'S'},
      {AttributeName: HISTORY_TABLE.sortKey, AttributeType: 'N'},
      {AttributeName: index.partitionKey, AttributeType: 'S'},
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [{AttributeName: index.partitionKey, KeyType: 'HASH'}],
        Projection: {ProjectionType: index.projection, NonKeyAttributes: [...index.nonKeyAttributes]},
      },
    ],
  }
}

/**
 * A history table made by an earlier version, before it had its source-key index: dynalite cannot add an index to a
 * table, so the table is made again with it and its versions put back (local data: a handful of versions).
 */
async function addHistoryIndex(dynamodb: DynamoDBClient, table: string): Promise<void> {
  const {Table} = await dynamodb.send(new DescribeTableCommand({TableName: table}))
  if (Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === HISTORY_TABLE.sourceKeyIndex.name)) return
  const versions: Record<string, AttributeValue>[] = []
  for await (const page of paginateScan({client: dynamodb}, {TableName: table})) versions.push(...(page.Items ?? []))
  await dynamodb.send(new DeleteTableCommand({TableName: table}))
  await waitUntilTableNotExists({client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1}, {TableName: table})
  await dynamodb.send(new CreateTableCommand(historyTableInput(table)))
  await waitUntilTableExists({client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1}, {TableName: table})
  for (const version of versions) await dynamodb.send(new PutItemCommand({TableName: table, Item: version}))
}

async function createUnlessExists(dynamodb: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand(input))
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error
  }
}

/** Creates the catalog table and, when named, the outcomes and history tables, unless they exist. */
export async function ensureTable(
  dynamodb: DynamoDBClient,
  table: string,
  outcomesTable?: string,
  historyTable?: string,
): Promise<void> {
  await createUnlessExists(dynamodb, catalogTableInput(table))
  if (outcomesTable) await createUnlessExists(dynamodb, outcomesTableInput(outcomesTable))
  if (!historyTable) return
  await createUnlessExists(dynamodb, historyTableInput(historyTable))
  await addHistoryIndex(dynamodb, historyTable)
}
