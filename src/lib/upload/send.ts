import {PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'

import {unquoteEtag} from '#core/aws-responses.js'
import {mapConcurrently} from '#core/concurrency.js'
import {explainAwsError, isConditionalWriteConflict} from '#aws/explain-error.js'
import {toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {QuarantineReason} from '#contract/pipeline-contract.js'
import type {Progress} from '#terminal/progress.js'
import type {RecordProblem} from '#record/check-record.js'
import type {KeyStatus} from '#status/key-status.js'
import {type PlannedFile, prepareFile} from './plan.js'

export type FileUploadStatus = 'invalid' | 'would-upload' | 'uploaded' | 'in-flight-conflict' | 'failed'

/** One file in `upload`'s result. */
export interface UploadedFile {
  file: string
  key: string
  size: number
  status: FileUploadStatus
  /** The uploaded object's ETag (without quotes), which tells this upload apart from others of the same key. */
  etag?: string
  /** Why the record check refused it, and where. */
  reason?: QuarantineReason
  errors?: RecordProblem[]
  error?: {code: string; message: string}
  /** With --wait: what became of it. */
  outcome?: KeyStatus
}

/**
 * Checks and sends each file, `--concurrency` at a time: each worker reads and checks its next file while the others
 * wait on the network, so checking costs next to nothing. Invalid files (when validating) are not sent.
 * Requests have the SDK's retries and backoff; `If-None-Match: *` makes S3 refuse to replace an object still waiting
 * in the processing bucket under the same key. A failure is recorded per file, not thrown, except for those that
 * would fail every file alike (credentials, a missing bucket).
 */
export function uploadFiles(
  s3: S3Client,
  bucket: string,
  files: PlannedFile[],
  options: {validate: boolean; concurrency: number; progress: Progress; signal?: AbortSignal},
): Promise<UploadedFile[]> {
  // Ctrl-C (the signal) stops it between files: only the files started are returned.
  const limit = {limit: options.concurrency, signal: options.signal}
  return mapConcurrently(files, limit, async (planned): Promise<UploadedFile> => {
    const {body, report} = await prepareFile(planned, options.validate)
    const described = {file: planned.file.displayPath, key: planned.key, size: body.length}
    if (report && !report.valid) {
      options.progress.advance()
      return {...described, status: 'invalid', reason: report.reason, errors: report.errors}
    }
    try {
      const response = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: planned.key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      )
      options.progress.advance()
      return {...described, status: 'uploaded', etag: response.ETag && unquoteEtag(response.ETag)}
    } catch (error) {
      if (isConditionalWriteConflict(error)) {
        options.progress.advance()
        return {
          ...described,
          status: 'in-flight-conflict',
          error: {
            code: 'InFlight',
            message: 'an earlier upload of this key is still in the processing bucket; try again once it is processed',
          },
        }
      }
      const explained = explainAwsError(error)
      const failure = toFailure(explained)
      if (failure.exitCode === ExitCode.Credentials || failure.code === 'BucketNotFound') throw explained
      options.progress.advance()
      return {...described, status: 'failed', error: {code: failure.code, message: failure.message}}
    }
  })
}
