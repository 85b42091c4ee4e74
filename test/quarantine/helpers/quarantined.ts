import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import type {QuarantineEntry} from '#quarantine/entries.js'
import {BUCKETS} from '../../cli/helpers/emulators.js'

/** Puts an entry of the source key in the emulators' quarantine bucket; a batch's entry with its line. */
export async function quarantined(
  s3: S3Client,
  sourceKey: string,
  body: string | Buffer,
  line?: number,
): Promise<QuarantineEntry> {
  const key = `${sourceKey}/q-0123456789abcdef`
  await s3.send(new PutObjectCommand({Bucket: BUCKETS.quarantine, Key: key, Body: body}))
  return {key, sourceKey, entryId: 'q-0123456789abcdef', size: body.length, ...(line ? {line} : {})}
}
