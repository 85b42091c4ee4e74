import {HISTORY_SOURCE_KEY_INDEX, ITEM_METADATA, SOURCE_KEY_INDEX, TABLE_KEY} from './pipeline-contract.js'

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

/**
 * The outcomes table: what became of uploads that leave nothing else behind (`unchanged`), the sweep's record of
 * objects it retried, and each batch object's checkpoint, lease and final counts. Keyed by source key and ETag, so `status KEY` reads a key's history with one Query; entries
 * expire by DynamoDB TTL.
 */
export const OUTCOMES_TABLE = {
  partitionKey: 'SourceKey',
  sortKey: 'SourceEtag',
  attributes: {
    outcome: 'Outcome',
    at: 'At',
    /** ArtistID and ItemID of the stored item the upload matched (for `unchanged`). */
    artistId: 'ArtistID',
    itemId: 'ItemID',
    /** Sweep attempts on an object whose event never came, and whether it was given up (dead-lettered). */
    sweepAttempts: 'SweepAttempts',
    /**
     * A batch object's progress: the first line not yet done (all before it are stored, unchanged or quarantined),
     * the counts and first problems so far (JSON), and the lease: which processor works on it, until when (epoch ms).
     * When the batch is done, Outcome is `batch` and the counts are final.
     */
    nextLine: 'NextLine',
    counts: 'Counts',
    problems: 'Problems',
    leaseOwner: 'LeaseOwner',
    leaseExpiresAt: 'LeaseExpiresAt',
    /** When a done batch's notification went out: a later delivery of the batch announces nothing again. */
    notifiedAt: 'NotifiedAt',
    expiresAt: 'ExpiresAt',
    /**
     * A quarantined record of a batch `upload --batch` packed (Outcome `quarantined`), recorded under
     * packedRecordPrefix + the SHA-256 of the record and `<batch ETag>#<line>`: its entry, reason, batch key and line,
     * so `status FILE` finds it from the file alone.
     */
    entry: 'Entry',
    reason: 'Reason',
    batchKey: 'BatchKey',
    line: 'Line',
  },
  /** Where the records of quarantined packed records are kept (see attributes.entry): no object key is looked up so. */
  packedRecordPrefix: 'packed-record:',
  /** How long an outcome record is kept: long enough for any `upload --wait` or `status` that asks about it. */
  retentionSeconds: 30 * 24 * 3600,
} as const

/**
 * The history table: every earlier version of an item, one record per version, written in the same transaction that
 * replaces the item (so a version is never lost and never written twice). A table of its own rather than versioned
 * sort keys in the catalog: the catalog's sort key is the record's own ItemID, and `items list`, the source-key index
 * and the pre-upload lookup keep seeing exactly one item per record; the history can expire by TTL without the
 * catalog having a TTL. Each record is the replaced item as it was (record and ep_ attributes), plus the attributes
 * below; keyed by the item's key and its version number, so an item's history is one Query, newest first.
 */
export const HISTORY_TABLE = {
  /** historyItemKey(ArtistID, ItemID). */
  partitionKey: 'ItemKey',
  /** The version number (ITEM_METADATA.version) of the version kept, a Number. */
  sortKey: 'Version',
  attributes: {
    /** When this version stopped being the current one. */
    supersededAt: 'SupersededAt',
    expiresAt: 'ExpiresAt',
  },
  /**
   * `status KEY` of an upload under REPLACE_PREFIX whose version the item no longer is (replaced in turn, by this key or
   * another) finds it by its source key, as the catalog's SOURCE_KEY_INDEX finds current versions. It costs each kept
   * version one index write and the projected attributes' storage; the processor makes no call more.
   */
  sourceKeyIndex: {
    name: HISTORY_SOURCE_KEY_INDEX,
    partitionKey: ITEM_METADATA.sourceKey,
    projection: 'INCLUDE',
    nonKeyAttributes: [
      TABLE_KEY.partition,
      TABLE_KEY.sort,
      ITEM_METADATA.sourceEtag,
      ITEM_METADATA.ingestedAt,
      ITEM_METADATA.change,
    ],
  },
} as const

/** The history partition of one item: ArtistID and ItemID as a JSON pair, so no two items can share one. */
export const historyItemKey = (artistId: string, itemId: string): string => JSON.stringify([artistId, itemId])

/** How long an earlier version is kept in the history table, unless the stack sets its own (deploy setting). */
export const DEFAULT_HISTORY_RETENTION_SECONDS = 365 * 24 * 3600
