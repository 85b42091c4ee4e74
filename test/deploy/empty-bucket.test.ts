import {createRequire} from 'node:module'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {emptyBucketVersions} from '#deploy/empty-bucket.js'
import {awsError, FakeAws, type FakeVersion, REGION} from './fake-aws.js'

// The CommonJS S3 client is the class the fake replaces (see fake-aws.ts).
const {S3Client} = createRequire(import.meta.url)('@aws-sdk/client-s3')

const BUCKET = 'pulsetest-quarantine-def'
let aws: FakeAws
let s3: InstanceType<typeof S3Client>

beforeEach(() => {
  aws = new FakeAws().install()
  s3 = new S3Client({region: REGION, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}})
})
afterEach(() => aws.restore())

/** Versions of a few keys, several per key, so that pages end in the middle of a key's versions. */
function versionsOf(keys: number, perKey: number): FakeVersion[] {
  return Array.from({length: keys}, (_, k) =>
    Array.from({length: perKey}, (_, v) => ({
      Key: `k${k}.json/q-${String(k).padStart(16, '0')}`,
      VersionId: `v${perKey - v}`,
      deleteMarker: v === 0 && k % 2 === 0,
    })),
  ).flat()
}

describe('emptying a versioned bucket', () => {
  it('deletes every version and delete marker, paging by key and version id where a page ends inside a key', async () => {
    aws.buckets.set(BUCKET, versionsOf(4, 3))
    aws.versionsPageSize = 5
    const progress: number[] = []
    expect(await emptyBucketVersions(s3, BUCKET, (deleted) => progress.push(deleted))).toBe(12)
    expect(aws.remaining(BUCKET)).toEqual([])
    expect(progress).toEqual([5, 10, 12])
    const markers = aws.calls.filter((c) => c.command === 'ListObjectVersions').map((c) => c.input.VersionIdMarker)
    expect(markers).toEqual([undefined, 'v2', 'v3'])
    const deletes = aws.calls.filter((c) => c.command === 'DeleteObjects')
    expect(deletes.map((c) => (c.input.Delete as {Quiet?: boolean}).Quiet)).toEqual([true, true, true])
  })

  it('deletes 2,500 versions in pages of 1,000 (S3 refuses more in one request)', async () => {
    aws.buckets.set(BUCKET, versionsOf(1250, 2))
    expect(await emptyBucketVersions(s3, BUCKET)).toBe(2500)
    expect(aws.remaining(BUCKET)).toEqual([])
    expect(aws.calls.filter((c) => c.command === 'DeleteObjects')).toHaveLength(3)
  })

  it('empties a bucket that has no versions left without a DeleteObjects (S3 refuses one naming no keys)', async () => {
    aws.buckets.set(BUCKET, [])
    expect(await emptyBucketVersions(s3, BUCKET)).toBe(0)
    expect(aws.calls.filter((c) => c.command === 'DeleteObjects')).toEqual([])
  })

  it('surfaces a listing that fails for any reason other than the bucket being gone', async () => {
    aws.overrides.set('S3 ListObjectVersions', () => {
      throw awsError('AccessDenied', 'Access Denied', 403)
    })
    expect(await emptyBucketVersions(s3, BUCKET).catch((e: unknown) => e)).toMatchObject({name: 'AccessDenied'})
  })

  it('counts a bucket already gone as empty', async () => {
    expect(await emptyBucketVersions(s3, 'gone-bucket')).toBe(0)
  })

  it('surfaces versions S3 refused to delete, naming one, and stops there', async () => {
    aws.buckets.set(BUCKET, versionsOf(2, 2))
    aws.deleteErrors.set('k1.json/q-0000000000000001 v1', 'AccessDenied')
    const error = await emptyBucketVersions(s3, BUCKET).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({exitCode: ExitCode.Credentials, code: 'AccessDenied'})
    expect((error as CliError).message).toBe(
      `Could not delete 1 object versions from ${BUCKET}, e.g. k1.json/q-0000000000000001: AccessDenied AccessDenied (fake)`,
    )
    expect(aws.remaining(BUCKET)).toEqual([
      expect.objectContaining({Key: 'k1.json/q-0000000000000001', VersionId: 'v1'}),
    ])
  })

  it('any other refusal is an AWS error (exit 4)', async () => {
    aws.buckets.set(BUCKET, versionsOf(1, 1))
    aws.deleteErrors.set('k0.json/q-0000000000000000 v1', 'InternalError')
    expect(await emptyBucketVersions(s3, BUCKET).catch((e: unknown) => e)).toMatchObject({
      exitCode: ExitCode.Aws,
      code: 'InternalError',
    })
  })

  it('names the failure by its code alone when S3 gives no message, and still fails with none', async () => {
    aws.buckets.set(BUCKET, versionsOf(1, 1))
    const key = 'k0.json/q-0000000000000000'
    const failing = (error: {Code?: string}) => () => ({Errors: [{Key: key, VersionId: 'v1', ...error}]})
    aws.overrides.set('S3 DeleteObjects', failing({Code: 'SlowDown'}))
    const slowDown = await emptyBucketVersions(s3, BUCKET).catch((e: unknown) => e)
    expect(slowDown).toMatchObject({code: 'SlowDown', exitCode: ExitCode.Aws})
    expect((slowDown as CliError).message).toBe(
      `Could not delete 1 object versions from ${BUCKET}, e.g. ${key}: SlowDown`,
    )
    aws.overrides.set('S3 DeleteObjects', failing({}))
    expect(await emptyBucketVersions(s3, BUCKET).catch((e: unknown) => e)).toMatchObject({
      code: 'DeleteObjectsFailed',
      exitCode: ExitCode.Aws,
    })
  })
})
