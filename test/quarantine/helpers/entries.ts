import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import type {PipelineTarget} from '#aws/clients.js'
import {QUARANTINE_METADATA, quarantineTagging} from '#contract/pipeline-contract.js'
import {BUCKETS} from '../../cli/helpers/emulators.js'

/** A target on the emulators' buckets, through the client given. */
export const localTarget = (s3: S3Client, concurrency = 4): PipelineTarget => ({
  label: 'local S3',
  region: 'us-east-1',
  resources: {quarantineBucket: BUCKETS.quarantine, processingBucket: BUCKETS.processing},
  concurrency,
  s3,
})

/** The entry id the n-th entry of a test gets. */
export const id = (n: number) => `q-${n.toString(16).padStart(16, '0')}`

export const keysOf = (entries: {key: string}[]) => entries.map((entry) => entry.key)

/** An object in the quarantine bucket, with the metadata and tags given (as the processor writes them). */
export async function putInQuarantine(
  s3: S3Client,
  key: string,
  options: {body?: string; metadata?: Record<string, string>; tags?: {reason: string; etag: string; at: string}} = {},
) {
  const {tags} = options
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKETS.quarantine,
      Key: key,
      Body: Buffer.from(options.body ?? '{}'),
      Metadata: options.metadata,
      Tagging: tags && quarantineTagging(tags.reason, tags.etag, tags.at),
    }),
  )
}

/** An entry quarantined (for its schema) at the time given. */
export const entryAt = (s3: S3Client, key: string, at: string, extra: Record<string, string> = {}) =>
  putInQuarantine(s3, key, {
    metadata: {[QUARANTINE_METADATA.reason]: 'schema', [QUARANTINE_METADATA.quarantinedAt]: at, ...extra},
  })
