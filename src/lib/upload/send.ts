import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {mapConcurrently} from '../aws/concurrency.js'
import {explainAwsError, isConditionalWriteConflict} from '../aws/errors.js'
import {toFailure} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import type {Progress} from '../progress.js'
import type {PlannedFile} from './plan.js'

export type SendStatus = 'uploaded' | 'in-flight-conflict' | 'failed'

export interface SentFile {
  file: string
  key: string
  size: number
  status: SendStatus
  /** The uploaded object's ETag (without quotes), which tells this upload apart from others of the same key. */
  etag?: string
  error?: {code: string; message: string}
}

export const unquoteEtag = (etag: string | undefined): string | undefined => etag?.replaceAll('"', '')

/**
 * Puts each file into the processing bucket, `--concurrency` at a time, with the SDK's retries and backoff.
 * `If-None-Match: *` makes S3 refuse to replace an object still waiting there under the same key (S3-compatible
 * servers that ignore the header, such as s3rver, simply overwrite it). A failure is recorded per file, not thrown.
 */
export function sendFiles(s3: S3Client, bucket: string, files: PlannedFile[], options: {concurrency: number; progress: Progress}): Promise<SentFile[]> {
  return mapConcurrently(files, options.concurrency, async (planned): Promise<SentFile> => {
    const sent = {file: planned.file.displayPath, key: planned.key, size: planned.body.length}
    try {
      const response = await s3.send(
        new PutObjectCommand({Bucket: bucket, Key: planned.key, Body: planned.body, ContentType: 'application/json', IfNoneMatch: '*'}),
      )
      options.progress.advance(`uploaded ${planned.key}`)
      return {...sent, status: 'uploaded', etag: unquoteEtag(response.ETag)}
    } catch (error) {
      if (isConditionalWriteConflict(error)) {
        options.progress.advance(`not replaced ${planned.key}: an upload of that key is still being processed`)
        return {
          ...sent,
          status: 'in-flight-conflict',
          error: {code: 'InFlight', message: 'an earlier upload of this key is still in the processing bucket; try again once it is processed'},
        }
      }
      const failure = toFailure(explainAwsError(error))
      // A bucket that does not exist or credentials that do not work fail every file alike: stop at once.
      if (failure.exitCode === ExitCode.Credentials || failure.code === 'BucketNotFound') throw explainAwsError(error)
      options.progress.advance(`failed ${planned.key}: ${failure.message}`)
      return {...sent, status: 'failed', error: {code: failure.code, message: failure.message}}
    }
  })
}
