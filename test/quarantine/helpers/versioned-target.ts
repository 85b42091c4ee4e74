import type {S3Client} from '@aws-sdk/client-s3'

import type {PipelineTarget} from '#aws/clients.js'
import type {QuarantineEntry} from '#quarantine/entries.js'

/** A deployed stack's target whose quarantine bucket is `quarantine`, reached through the (mocked) client given. */
export const versionedTarget = (s3: S3Client) =>
  ({
    label: 'stack',
    region: 'eu-west-1',
    concurrency: 4,
    resources: {quarantineBucket: 'quarantine'},
    s3,
  }) as unknown as PipelineTarget

/** The entry the purge tests delete the versions of. */
export const purged: QuarantineEntry = {
  key: 'a.json/q-0123456789abcdef',
  sourceKey: 'a.json',
  entryId: 'q-0123456789abcdef',
  size: 1,
}
