import type {STSClient} from '@aws-sdk/client-sts'
import {describe, expect, it, vi} from 'vitest'

import {assumeRoleCredentials, callerName, sessionNameFor, sourceIdentityFor} from '#aws/credentials.js'
import {CliError} from '#core/errors.js'

const ROLE = 'arn:aws:iam::123456789012:role/EventPulse-Uploader'
const MINUTE = 60_000

/** An STS client answering AssumeRole with each answer in turn (the last one again and again), keeping the inputs. */
function fakeSts(...answers: Array<object | Error>) {
  const inputs: Array<Record<string, unknown>> = []
  const commands: string[] = []
  const client = {
    async send(command: {input: Record<string, unknown>; constructor: {name: string}}) {
      inputs.push(command.input)
      commands.push(command.constructor.name)
      const answer = answers.length > 1 ? answers.shift()! : answers[0]
      if (answer instanceof Error) throw answer
      return answer
    },
  }
  return {sts: client as unknown as STSClient, inputs, commands}
}

const issued = (expiresInMs: number | undefined, id = 'ASIAASSUMED') => ({
  Credentials: {
    AccessKeyId: id,
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: expiresInMs === undefined ? undefined : new Date(Date.now() + expiresInMs),
  },
})

const awsError = (name: string, message = `${name} happened`) => Object.assign(new Error(message), {name})

describe('assumeRoleCredentials', () => {
  it('asks STS AssumeRole for the role, session name, source identity, duration and external id', async () => {
    const expiration = new Date(Date.now() + 60 * MINUTE)
    const {sts, inputs, commands} = fakeSts({
      Credentials: {AccessKeyId: 'ASIA1', SecretAccessKey: 's1', SessionToken: 't1', Expiration: expiration},
    })
    const credentials = assumeRoleCredentials({
      roleArn: ROLE,
      sessionName: 'eventpulse-alice',
      sourceIdentity: 'alice',
      sts,
      externalId: 'acme-7f3a',
      durationSeconds: 900,
    })
    expect(await credentials()).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 's1',
      sessionToken: 't1',
      expiration,
    })
    expect(commands).toEqual(['AssumeRoleCommand'])
    expect(inputs).toEqual([
      {
        RoleArn: ROLE,
        RoleSessionName: 'eventpulse-alice',
        SourceIdentity: 'alice',
        DurationSeconds: 900,
        ExternalId: 'acme-7f3a',
        SerialNumber: undefined,
        TokenCode: undefined,
      },
    ])
  })

  it('makes no STS call until credentials are asked for', () => {
    const {sts, inputs} = fakeSts(issued(60 * MINUTE))
    assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts})
    expect(inputs).toHaveLength(0)
  })

  it('with MFA, asks for a code for the device each time and sends both to STS', async () => {
    const {sts, inputs} = fakeSts(issued(MINUTE))
    const readCode = vi.fn(async (serial: string) => `code-for-${serial}`)
    const serial = 'arn:aws:iam::123456789012:mfa/alice'
    const credentials = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts, mfa: {serial, readCode}})
    await credentials()
    expect(readCode).toHaveBeenCalledWith(serial)
    expect(inputs[0]).toMatchObject({SerialNumber: serial, TokenCode: `code-for-${serial}`})
    // A minute left is within the renewal margin: the next call renews, asking for a new code.
    await credentials()
    expect(readCode).toHaveBeenCalledTimes(2)
  })

  it('shares one AssumeRole among the callers, concurrent or later, while the credentials are fresh', async () => {
    const {sts, inputs} = fakeSts(issued(60 * MINUTE, 'ASIAONE'), issued(60 * MINUTE, 'ASIATWO'))
    const credentials = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts})
    const [first, second] = await Promise.all([credentials(), credentials()])
    expect(first.accessKeyId).toBe('ASIAONE')
    expect(second.accessKeyId).toBe('ASIAONE')
    expect((await credentials()).accessKeyId).toBe('ASIAONE')
    expect(inputs).toHaveLength(1)
  })

  it('renews within 5 minutes of the expiry, not before', async () => {
    const early = fakeSts(issued(5 * MINUTE + 20_000, 'ASIAOLD'), issued(60 * MINUTE, 'ASIANEW'))
    const keep = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts: early.sts})
    await keep()
    expect((await keep()).accessKeyId).toBe('ASIAOLD')
    expect(early.inputs).toHaveLength(1)

    const late = fakeSts(issued(5 * MINUTE - 20_000, 'ASIAOLD'), issued(60 * MINUTE, 'ASIANEW'))
    const renew = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts: late.sts})
    await renew()
    expect((await renew()).accessKeyId).toBe('ASIANEW')
    expect((await renew()).accessKeyId).toBe('ASIANEW')
    expect(late.inputs).toHaveLength(2)
  })

  it('renews credentials exactly 5 minutes from their expiry', async () => {
    vi.useFakeTimers({toFake: ['Date']})
    try {
      vi.setSystemTime(new Date('2024-06-01T12:00:00Z'))
      const {sts, inputs} = fakeSts(issued(5 * MINUTE, 'ASIAOLD'), issued(60 * MINUTE, 'ASIANEW'))
      const credentials = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts})
      await credentials()
      expect((await credentials()).accessKeyId).toBe('ASIANEW')
      expect(inputs).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('credentials without an expiry are kept', async () => {
    const {sts, inputs} = fakeSts(issued(undefined))
    const credentials = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts})
    await credentials()
    expect(await credentials()).toMatchObject({accessKeyId: 'ASIAASSUMED', expiration: undefined})
    expect(inputs).toHaveLength(1)
  })

  it('after a failed call, the next caller asks STS again', async () => {
    const throttled = awsError('Throttling', 'Rate exceeded')
    const {sts, inputs} = fakeSts(throttled, issued(60 * MINUTE))
    const credentials = assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts})
    await expect(credentials()).rejects.toBe(throttled)
    expect((await credentials()).accessKeyId).toBe('ASIAASSUMED')
    expect(inputs).toHaveLength(2)
  })

  it.each([
    ['no credentials', {}],
    ['no key id', {Credentials: {SecretAccessKey: 's'}}],
    ['no secret', {Credentials: {AccessKeyId: 'ASIA'}}],
  ])('an answer with %s is AssumeRoleFailed, exit 4, naming the role', async (_, answer) => {
    const error = await assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts: fakeSts(answer).sts})().catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CliError)
    expect(error).toMatchObject({
      message: `STS returned no credentials for ${ROLE}.`,
      exitCode: 4,
      code: 'AssumeRoleFailed',
    })
  })

  it.each(['AccessDenied', 'AccessDeniedException'])(
    '%s is RoleNotAssumable, exit 3, saying how to be trusted or to go without the role',
    async (name) => {
      const cause = awsError(name, 'User is not authorized to perform: sts:AssumeRole')
      const error = await assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts: fakeSts(cause).sts})().catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(CliError)
      expect(error).toMatchObject({
        message: `Not allowed to assume the role ${ROLE}.`,
        exitCode: 3,
        code: 'RoleNotAssumable',
        cause,
        hint:
          'Ask for your identity to be trusted by the role (the stack grants it to the account), pass --role-arn, ' +
          'or --no-assume-role to use your own credentials as they are. If the role requires MFA, pass --mfa-serial.',
      })
    },
  )

  it('refused with MFA, says to check the code and device', async () => {
    const error = await assumeRoleCredentials({
      roleArn: ROLE,
      sessionName: 's',
      sts: fakeSts(awsError('AccessDenied')).sts,
      mfa: {serial: 'arn:aws:iam::123456789012:mfa/alice', readCode: async () => '000000'},
    })().catch((e: unknown) => e)
    expect(error).toMatchObject({
      exitCode: 3,
      code: 'RoleNotAssumable',
      hint: 'Check the MFA code and device (--mfa-serial), and that the role trusts your identity.',
    })
  })

  it('passes on other errors as they are', async () => {
    for (const other of [awsError('ExpiredToken'), awsError('RegionDisabledException'), new Error('socket hang up')]) {
      const error = await assumeRoleCredentials({roleArn: ROLE, sessionName: 's', sts: fakeSts(other).sts})().catch(
        (e: unknown) => e,
      )
      expect(error).toBe(other)
    }
  })

  it('a failing MFA prompt stops before STS is asked', async () => {
    const {sts, inputs} = fakeSts(issued(60 * MINUTE))
    const cancelled = new CliError('Cancelled', {exitCode: 130, code: 'Cancelled'})
    const credentials = assumeRoleCredentials({
      roleArn: ROLE,
      sessionName: 's',
      sts,
      mfa: {
        serial: 'arn:aws:iam::123456789012:mfa/alice',
        readCode: async () => {
          throw cancelled
        },
      },
    })
    await expect(credentials()).rejects.toBe(cancelled)
    expect(inputs).toHaveLength(0)
  })
})

describe('names for STS', () => {
  it('callerName: the last part of the ARN: user, role session, or root', () => {
    expect(callerName('arn:aws:iam::123456789012:user/ops/alice')).toBe('alice')
    expect(callerName('arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0f/alice@example.com')).toBe(
      'alice@example.com',
    )
    expect(callerName('arn:aws:iam::123456789012:root')).toBe('root')
    // A colon within the resource part is kept.
    expect(callerName('arn:aws:sts::123456789012:assumed-role/Role/tool:job')).toBe('tool:job')
    expect(callerName('arn:aws:iam::123456789012:user/bob')).toBe('bob')
  })

  it('sessionNameFor: the prefix and the name, other characters made single hyphens, none at either end', () => {
    expect(sessionNameFor('alice@example.com')).toBe('eventpulse-alice@example.com')
    expect(sessionNameFor('a+b=c,d.e@f_g-h')).toBe('eventpulse-a+b=c,d.e@f_g-h')
    expect(sessionNameFor('--jane   doe--')).toBe('eventpulse-jane-doe')
    expect(sessionNameFor('  ')).toBe('eventpulse-user')
    expect(sessionNameFor('bob', 'ep')).toBe('ep-bob')
    expect(sessionNameFor('alice', 'p'.repeat(60))).toBe(`${'p'.repeat(60)}-ali`)
  })

  it('sourceIdentityFor: the name as STS allows it, 2 to 64 characters, else none', () => {
    expect(sourceIdentityFor('alice@example.com')).toBe('alice@example.com')
    expect(sourceIdentityFor('Jane Doe')).toBe('Jane-Doe')
    expect(sourceIdentityFor('ab')).toBe('ab')
    expect(sourceIdentityFor('a')).toBeUndefined()
    expect(sourceIdentityFor('')).toBeUndefined()
    expect(sourceIdentityFor('!!')).toBeUndefined()
    expect(sourceIdentityFor('-x-')).toBeUndefined()
    expect(sourceIdentityFor('c'.repeat(70))).toBe('c'.repeat(64))
  })
})
