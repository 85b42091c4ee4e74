import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {newLocalCredentials} from '#local/credentials.js'
import {type S3Emulator, startS3} from '#local/emulators.js'
import {runCli} from '../helpers/run-cli.js'
import {runOnTerminal} from './helpers/terminal.js'
import {tempDir} from '../helpers/temp-dirs.js'

// The whole CLI assuming a role with MFA: STS is a stand-in that hands out the keys the S3 emulator knows, while the
// caller's own keys are unknown to it, so a request that succeeds was signed with the assumed role's credentials.

const ROLE = 'arn:aws:iam::123456789012:role/EventPulse-Uploader'
const SERIAL = 'arn:aws:iam::123456789012:mfa/alice'

let s3: S3Emulator
let sts: Server
let stsEndpoint: string
const assumeRoleCalls: URLSearchParams[] = []
const roleCredentials = newLocalCredentials()

beforeAll(async () => {
  s3 = await startS3({
    directory: tempDir('ep-mfa-'),
    host: '127.0.0.1',
    port: 0,
    credentials: [roleCredentials],
    buckets: ['processing'],
  })
  sts = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const params = new URLSearchParams(body)
      assumeRoleCalls.push(params)
      response.setHeader('content-type', 'text/xml')
      response.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>${roleCredentials.accessKeyId}</AccessKeyId>
<SecretAccessKey>${roleCredentials.secretAccessKey}</SecretAccessKey>
<SessionToken>session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${params.get('RoleSessionName')}</AssumedRoleId>
<Arn>arn:aws:sts::123456789012:assumed-role/EventPulse-Uploader/x</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
    })
  })
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve))
  stsEndpoint = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`
})
afterAll(async () => {
  sts?.close()
  await s3?.close()
})

const args = () => [
  'status',
  '--stuck',
  '--older-than',
  '1h',
  `--endpoint-url=${s3.endpoint}`,
  '--processing-bucket=processing',
  `--role-arn=${ROLE}`,
  `--mfa-serial=${SERIAL}`,
]
const env = () => ({
  AWS_ENDPOINT_URL_STS: stsEndpoint,
  AWS_ACCESS_KEY_ID: 'AKIACALLERSOWNKEY',
  AWS_SECRET_ACCESS_KEY: 'callers-own-secret',
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
})

describe('role assumption with MFA, end to end', () => {
  it('asks for the code on the terminal, assumes the role with it, and acts with the role', async () => {
    assumeRoleCalls.length = 0
    const run = await runOnTerminal(args(), {env: env(), prompt: 'MFA code for', answer: '123456\r'})
    expect(run.stdout).toContain(`MFA code for ${SERIAL}`)
    expect(run.stdout).toContain('0 objects have waited longer than 3600 s.')
    expect(run.exitCode).toBe(0)
    expect(assumeRoleCalls).toHaveLength(1)
    const call = assumeRoleCalls[0]
    expect(
      Object.fromEntries(['Action', 'RoleArn', 'SerialNumber', 'TokenCode'].map((name) => [name, call.get(name)])),
    ).toEqual({
      Action: 'AssumeRole',
      RoleArn: ROLE,
      SerialNumber: SERIAL,
      TokenCode: '123456',
    })
    expect(call.get('RoleSessionName')).toMatch(/^eventpulse-[\w+=,.@-]{1,53}$/)
  })

  it('without a terminal to ask on, says so (exit 2) and calls nothing', async () => {
    assumeRoleCalls.length = 0
    const run = await runCli(args(), {env: env()})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`An MFA code for ${SERIAL} is needed, and there is no terminal to ask on.`)
    expect(assumeRoleCalls).toHaveLength(0)
  })

  it("without the role, the caller's own keys are refused: the success above was the role's doing", async () => {
    const run = await runCli([...args().slice(0, -2), '--no-assume-role'], {env: env()})
    expect(run.exitCode).toBe(3)
  })
})
