import {DeleteObjectsCommand, ListObjectsCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {type AttributeValue, type DynamoDBClient, PutItemCommand} from '@aws-sdk/client-dynamodb'

import {ITEM_METADATA, QUARANTINE_METADATA, quarantineKey, quarantineTagging} from '#contract/pipeline-contract.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {BUCKETS, OUTCOMES_TABLE_NAME, TABLE} from './emulators.js'

export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const listed = await s3.send(new ListObjectsCommand({Bucket: bucket, MaxKeys: 1000}))
    const keys = (listed.Contents ?? []).map((object) => ({Key: object.Key!}))
    if (keys.length === 0) return
    await s3.send(new DeleteObjectsCommand({Bucket: bucket, Delete: {Objects: keys}}))
  }
}

/** Quarantines an object the way the processor does: under its entry key, with the reason in user metadata. */
export async function quarantine(
  s3: S3Client,
  sourceKey: string,
  options: {
    body?: string | Buffer
    reason?: string
    message?: string
    etag?: string
    sequencer?: string
    at?: string
  } = {},
): Promise<string> {
  const etag = options.etag ?? Math.random().toString(16).slice(2).padEnd(32, '0')
  const sequencer = options.sequencer ?? Date.now().toString(16)
  const key = quarantineKey(sourceKey, {etag})
  const at = options.at ?? new Date().toISOString()
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKETS.quarantine,
      Key: key,
      Body: options.body ?? '{"broken": ',
      Metadata: {
        [QUARANTINE_METADATA.reason]: options.reason ?? 'invalid-json',
        [QUARANTINE_METADATA.message]: encodeURIComponent(options.message ?? 'unexpected end of the text'),
        [QUARANTINE_METADATA.sourceKey]: encodeURIComponent(sourceKey),
        [QUARANTINE_METADATA.sourceEtag]: etag,
        [QUARANTINE_METADATA.sourceSequencer]: sequencer,
        [QUARANTINE_METADATA.quarantinedAt]: at,
      },
      Tagging: quarantineTagging(options.reason ?? 'invalid-json', etag, at),
    }),
  )
  return key
}

/** Stores an item the way the processor does, with the pipeline's metadata attributes. */
export async function storeItem(
  dynamodb: DynamoDBClient,
  sourceKey: string,
  options: {
    artist?: string
    item?: string
    etag?: string
    at?: string
    attributes?: Record<string, AttributeValue>
  } = {},
): Promise<void> {
  await dynamodb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        ...options.attributes,
        ArtistID: {S: options.artist ?? 'skrillex'},
        ItemID: {S: options.item ?? `track#${sourceKey}`},
        [ITEM_METADATA.sourceKey]: {S: sourceKey},
        [ITEM_METADATA.sourceEtag]: {S: options.etag ?? 'e'.repeat(32)},
        [ITEM_METADATA.sourceSequencer]: {S: '0001'},
        [ITEM_METADATA.ingestedAt]: {S: options.at ?? new Date().toISOString()},
      },
    }),
  )
}

/** Records an `unchanged` outcome the way the processor does: in the outcomes table, by source key and ETag. */
export async function recordUnchanged(
  dynamodb: DynamoDBClient,
  sourceKey: string,
  options: {artist?: string; item?: string; etag: string; at?: string},
): Promise<void> {
  const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
  await dynamodb.send(
    new PutItemCommand({
      TableName: OUTCOMES_TABLE_NAME,
      Item: {
        [partitionKey]: {S: sourceKey},
        [sortKey]: {S: options.etag},
        [attributes.outcome]: {S: 'unchanged'},
        [attributes.at]: {S: options.at ?? new Date().toISOString()},
        [attributes.artistId]: {S: options.artist ?? 'skrillex'},
        [attributes.itemId]: {S: options.item ?? `track#${sourceKey}`},
      },
    }),
  )
}
