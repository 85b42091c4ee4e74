import {ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from './pipeline-contract.js'

/**
 * The catalog table's shape, defined once: the stack builds its table from it (infra/table.ts), the local pipeline
 * its CreateTable request (local/table.ts). Every key attribute is a string.
 */
export const CATALOG_TABLE = {
  partitionKey: TABLE_KEY.partition,
  sortKey: TABLE_KEY.sort,
  globalSecondaryIndexes: [
    // `status KEY` looks an item up by the object it came from, and shows when and from which upload it was stored.
    {
      name: SOURCE_KEY_INDEX,
      partitionKey: ITEM_METADATA.sourceKey,
      projection: 'INCLUDE',
      nonKeyAttributes: [ITEM_METADATA.sourceEtag, ITEM_METADATA.sourceSequencer, ITEM_METADATA.ingestedAt],
    },
  ],
} as const

/** Every attribute that is a key of the table or of an index, each once: the ones a table definition declares. */
export const catalogKeyAttributes = (): string[] => [
  ...new Set([
    CATALOG_TABLE.partitionKey,
    CATALOG_TABLE.sortKey,
    ...CATALOG_TABLE.globalSecondaryIndexes.map((index) => index.partitionKey),
  ]),
]
