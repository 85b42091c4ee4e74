import type {RemovalPolicy} from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import {Construct} from 'constructs'

import {ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from '#contract/pipeline-contract.js'

export interface CatalogTableProps {
  removalPolicy: RemovalPolicy
  replicaRegions: string[]
}

/** The catalog table, on-demand with point-in-time recovery, optionally replicated (TableV2: no custom resource). */
export class CatalogTable extends Construct {
  readonly table: dynamodb.TableV2

  constructor(scope: Construct, id: string, props: CatalogTableProps) {
    super(scope, id)
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: {name: TABLE_KEY.partition, type: dynamodb.AttributeType.STRING},
      sortKey: {name: TABLE_KEY.sort, type: dynamodb.AttributeType.STRING},
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: {pointInTimeRecoveryEnabled: true},
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy,
      replicas: props.replicaRegions.map((region) => ({region})),
      // `status KEY` looks an item up by the object it came from, and shows when and from which upload it was stored.
      globalSecondaryIndexes: [
        {
          indexName: SOURCE_KEY_INDEX,
          partitionKey: {name: ITEM_METADATA.sourceKey, type: dynamodb.AttributeType.STRING},
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: [ITEM_METADATA.sourceEtag, ITEM_METADATA.sourceSequencer, ITEM_METADATA.ingestedAt],
        },
      ],
    })
  }
}
