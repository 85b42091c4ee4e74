import type {RemovalPolicy} from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import {Construct} from 'constructs'

import {CATALOG_TABLE} from '#contract/table.js'

export interface CatalogTableProps {
  removalPolicy: RemovalPolicy
  replicaRegions: string[]
}

const stringAttribute = (name: string): dynamodb.Attribute => ({name, type: dynamodb.AttributeType.STRING})

/** The catalog table, on-demand with point-in-time recovery, optionally replicated (TableV2: no custom resource). */
export class CatalogTable extends Construct {
  readonly table: dynamodb.TableV2

  constructor(scope: Construct, id: string, props: CatalogTableProps) {
    super(scope, id)
    this.table = new dynamodb.TableV2(this, 'Table', {
      // Keys and indexes as the contract defines them (the local pipeline creates its table from it too).
      partitionKey: stringAttribute(CATALOG_TABLE.partitionKey),
      sortKey: stringAttribute(CATALOG_TABLE.sortKey),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: {pointInTimeRecoveryEnabled: true},
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy,
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
