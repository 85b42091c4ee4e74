import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {baseCredentials, callerSessionName} from '#aws/credentials.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {stubAwsEnv} from './aws-env.js'

// The local user name callerSessionName reads: what os.userInfo() answers (or its failure) is set by each test.
const userInfo = vi.hoisted(() => vi.fn<() => {username: string}>())
vi.mock('node:os', async (importOriginal) => ({...(await importOriginal<typeof import('node:os')>()), userInfo}))

let home: string
// The tests that name a profile remove the environment's keys: with both, the SDK takes the profile's, and warns.
beforeEach(() => {
  home = tempDir('ep-caller-')
  stubAwsEnv(home, {
    AWS_ACCESS_KEY_ID: 'AKIAFROMENV',
    AWS_SECRET_ACCESS_KEY: 'env-secret',
    AWS_REGION: 'eu-west-1',
    USER: '',
    USERNAME: '',
  })
  userInfo.mockReset()
})
afterEach(() => vi.unstubAllEnvs())

describe('callerSessionName', () => {
  it('names the session after the local user', () => {
    userInfo.mockReturnValue({username: 'carol'})
    vi.stubEnv('USER', 'someone-else')
    expect(callerSessionName()).toBe('eventpulse-carol')
  })

  it('falls back to USER, then USERNAME, when the system has no name for the uid', () => {
    userInfo.mockImplementation(() => {
      throw new Error('ENOENT: no such file or directory, uv_os_get_passwd')
    })
    vi.stubEnv('USERNAME', 'WinUser')
    expect(callerSessionName()).toBe('eventpulse-WinUser')
    vi.stubEnv('USER', 'dave')
    expect(callerSessionName()).toBe('eventpulse-dave')
  })

  it('an empty system name falls back to the environment; nothing at all is "user"', () => {
    userInfo.mockReturnValue({username: ''})
    vi.stubEnv('USER', 'erin')
    expect(callerSessionName()).toBe('eventpulse-erin')
    vi.stubEnv('USER', '')
    expect(callerSessionName()).toBe('eventpulse-user')
  })
})

describe('baseCredentials', () => {
  const noMfa = async () => {
    throw new Error('no MFA code was expected')
  }

  it('without a profile, the standard chain: the environment first', async () => {
    const credentials = baseCredentials({readMfaCode: noMfa})
    expect(await credentials()).toMatchObject({accessKeyId: 'AKIAFROMENV', secretAccessKey: 'env-secret'})
  })

  it("with a profile, that profile's keys, not the default profile's", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '')
    writeFileSync(
      join(home, 'credentials'),
      [
        '[default]',
        'aws_access_key_id = AKIADEFAULT',
        'aws_secret_access_key = default-secret',
        '[static]',
        'aws_access_key_id = AKIASTATIC',
        'aws_secret_access_key = static-secret',
        '',
      ].join('\n'),
    )
    expect(await baseCredentials({readMfaCode: noMfa})()).toMatchObject({accessKeyId: 'AKIADEFAULT'})
    const credentials = baseCredentials({profile: 'static', readMfaCode: noMfa})
    expect(await credentials()).toMatchObject({accessKeyId: 'AKIASTATIC', secretAccessKey: 'static-secret'})
    expect(await credentials()).toMatchObject({accessKeyId: 'AKIASTATIC'})
  })

  it("asks the CLI's MFA reader for the code a role profile's mfa_serial needs", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '')
    writeFileSync(
      join(home, 'credentials'),
      ['[base]', 'aws_access_key_id = AKIABASE', 'aws_secret_access_key = base-secret', ''].join('\n'),
    )
    writeFileSync(
      join(home, 'config'),
      [
        '[profile with-mfa]',
        'role_arn = arn:aws:iam::123456789012:role/Admin',
        'source_profile = base',
        'mfa_serial = arn:aws:iam::123456789012:mfa/alice',
        '',
      ].join('\n'),
    )
    // The reader stops the chain before any request: what it was asked for is what matters here.
    const readMfaCode = vi.fn(async (serial: string): Promise<string> => {
      throw new Error(`prompted for ${serial}`)
    })
    const credentials = baseCredentials({profile: 'with-mfa', readMfaCode})
    await expect(credentials()).rejects.toThrow('prompted for arn:aws:iam::123456789012:mfa/alice')
    expect(readMfaCode).toHaveBeenCalledWith('arn:aws:iam::123456789012:mfa/alice')
  })
})
