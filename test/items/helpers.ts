import {PutObjectCommand} from '@aws-sdk/client-s3'

import type {adminOf, TestPipeline} from '../processor/helpers.js'

/**
 * Uploads as the quarantine admin (replacements under replace/ are its own), with any object metadata given, waits
 * for the outcome, and returns the upload's ETag, unquoted.
 */
export async function adminUpload(
  t: TestPipeline,
  admin: ReturnType<typeof adminOf>,
  key: string,
  body: string,
  metadata?: Record<string, string>,
): Promise<string> {
  const {ETag} = await admin.s3.send(
    new PutObjectCommand({
      Bucket: t.pipeline.state.processingBucket,
      Key: key,
      Body: Buffer.from(body),
      Metadata: metadata,
      IfNoneMatch: '*',
    }),
  )
  await t.pipeline.idle()
  return ETag!.replaceAll('"', '')
}
