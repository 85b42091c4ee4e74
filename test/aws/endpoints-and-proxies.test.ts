import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it, vi} from 'vitest'

import {bypassesProxy} from '#aws/http.js'
import {resolveAwsTarget} from '#aws/target.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {stubAwsEnv} from './aws-env.js'

afterEach(() => vi.unstubAllEnvs())

describe('NO_PROXY entries', () => {
  it('take a port only when the whole rest of the entry is digits', () => {
    expect(bypassesProxy('minio.corp', 9000, ['minio.corp:9000x'])).toBe(false)
    expect(bypassesProxy('minio.corp', 9000, ['minio.corp:9000'])).toBe(true)
  })
})

describe('a target given by flags alone (no stack outputs to read)', () => {
  const flags = {stack: 'EventPulse', 'assume-role': false, 'processing-bucket': 'ep-processing'}

  it("sends S3 requests to AWS_ENDPOINT_URL_S3, S3's own endpoint variable", async () => {
    stubAwsEnv(tempDir('ep-endpoint-'), {AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000'})
    const target = await resolveAwsTarget(flags, {role: 'uploader', needs: ['processingBucket']})
    expect(target.label).toBe('http://127.0.0.1:9000')
    expect(String((await target.s3.config.endpoint!()).hostname)).toBe('127.0.0.1')
  })

  it("signs with the keys of the profile named by --profile, not the default profile's", async () => {
    const home = tempDir('ep-profile-')
    writeFileSync(
      join(home, 'credentials'),
      [
        '[default]',
        'aws_access_key_id = AKIADEFAULT',
        'aws_secret_access_key = d',
        '',
        '[dev]',
        'aws_access_key_id = AKIADEV',
        'aws_secret_access_key = s',
        '',
      ].join('\n'),
    )
    stubAwsEnv(home, {AWS_REGION: 'eu-west-1'})
    const target = await resolveAwsTarget({...flags, profile: 'dev'}, {role: 'uploader', needs: ['processingBucket']})
    expect((await target.s3.config.credentials()).accessKeyId).toBe('AKIADEV')
  })
})
