import type {RemovalPolicy} from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import {Construct} from 'constructs'

import {CATALOG_TABLE, HISTORY_TABLE, OUTCOMES_TABLE} from '#contract/table.js'

export interface CatalogTableProps {
  removalPolicy: RemovalPolicy
  replicaRegions: string[]
}

const stringAttribute = (name: string): dynamodb.Attribute => ({name, type: dynamodb.AttributeType.STRING})

/** What every table of the stack has: on-demand billing, point-in-time recovery, encryption at rest. */
const onDemandRecoverableEncrypted = (removalPolicy: RemovalPolicy) => ({
  billing: dynamodb.Billing.onDemand(),
  pointInTimeRecoverySpecification: {pointInTimeRecoveryEnabled: true},
  encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
  removalPolicy,
})

/**
 * The catalog table, on-demand with point-in-time recovery, optionally replicated (TableV2: no custom resource), and
 * protected from deletion: `destroy --destroy-data` lifts the protection once the deletion is confirmed.
 */
export class CatalogTable extends Construct {
  readonly table: dynamodb.TableV2

  constructor(scope: Construct, id: string, props: CatalogTableProps) {
    super(scope, id)
    this.table = new dynamodb.TableV2(this, 'Table', {
      // Keys and indexes as the contract defines them (the local pipeline creates its table from it too).
      partitionKey: stringAttribute(CATALOG_TABLE.partitionKey),
      sortKey: stringAttribute(CATALOG_TABLE.sortKey),
      ...onDemandRecoverableEncrypted(props.removalPolicy),
      deletionProtection: true,
      replicas: props.replicaRegions.map((region) => ({region})),
      globalSecondaryIndexes: CATALOG_TABLE.globalSecondaryIndexes.map((index) => ({
        indexName: index.name,
        partitionKey: stringAttribute(index.partitionKey),
        projectionType: dynamodb.ProjectionType[index.projection],
        nonKeyAttributes: [...index.nonKeyAttributes],
      })),
    })
  }
}

/**
 * The outcomes table: small records of what became of uploads that leave nothing else behind, expiring by TTL.
 * On demand, with point-in-time recovery like the catalog; never replicated (it is about this region's uploads).
 */
export class OutcomesTable extends Construct {
  readonly table: dynamodb.TableV2

  constructor(scope: Construct, id: string, props: {removalPolicy: RemovalPolicy}) {
    super(scope, id)
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: stringAttribute(OUTCOMES_TABLE.partitionKey),
      sortKey: stringAttribute(OUTCOMES_TABLE.sortKey),
      timeToLiveAttribute: OUTCOMES_TABLE.attributes.expiresAt,
      ...onDemandRecoverableEncrypted(props.removalPolicy),
    })
  }
}

/**
 * The history table: items' earlier versions, expiring by TTL after the deploy setting's retention. Encrypted, on
 * demand and with point-in-time recovery like the catalog; replicated with it, so a replica region can show and revert
 * the history of the items it holds.
 */
export class HistoryTable extends Construct {
  readonly table: dynamodb.TableV2

  constructor(scope: Construct, id: string, props: CatalogTableProps) {
    super(scope, id)
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: stringAttribute(HISTORY_TABLE.partitionKey),
      sortKey: {name: HISTORY_TABLE.sortKey, type: dynamodb.AttributeType.NUMBER},
      timeToLiveAttribute: HISTORY_TABLE.attributes.expiresAt,
      ...onDemandRecoverableEncrypted(props.removalPolicy),
      replicas: props.replicaRegions.map((region) => ({region})),
      globalSecondaryIndexes: [
        {
          indexName: HISTORY_TABLE.sourceKeyIndex.name,
          partitionKey: stringAttribute(HISTORY_TABLE.sourceKeyIndex.partitionKey),
          projectionType: dynamodb.ProjectionType[HISTORY_TABLE.sourceKeyIndex.projection],
          nonKeyAttributes: [...HISTORY_TABLE.sourceKeyIndex.nonKeyAttributes],
        },
      ],
    })
  }
}
