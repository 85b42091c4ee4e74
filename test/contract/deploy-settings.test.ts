import {describe, expect, it} from 'vitest'

import {
  DEPLOY_SETTINGS,
  type DeploySettingKey,
  deploySettings,
  isValidTrustedPrincipal,
  SETTING_KINDS,
  settingsConflict,
  type StackSettings,
  stackSettingDefaults,
} from '#contract/deploy-settings.js'

/** What a setting's check says of a value (`written` as the user wrote it). */
const check = (key: DeploySettingKey, value: unknown, written?: unknown) =>
  (DEPLOY_SETTINGS[key] as {check: (value: unknown, written: unknown) => unknown}).check(value, written)

const STACK_NAME_HINT = 'A stack name starts with a letter and holds only letters, digits and hyphens (at most 128).'
const PRINCIPAL_HINT =
  'Give a 12-digit account id or an IAM ARN (arn:aws:iam::<account>:role/<name>, :user/<name> or :root).'

/** The stack's defaults, as the README lists them. */
const DEFAULTS = {
  stackName: 'EventPulse',
  notifyQuarantinedOnly: false,
  trustedPrincipals: [],
  requireMfa: true,
  mfaMaxAgeSeconds: 3600,
  accessLogRetentionSeconds: 31_536_000,
  processorConcurrency: 10,
  tracing: false,
  destroyDataOnDelete: false,
  replicaRegions: [],
  stuckAfterSeconds: 900,
  sweepEverySeconds: 300,
  historyRetentionSeconds: 31_536_000,
  uploaderMayReplace: false,
}

describe('setting kinds', () => {
  it('accept values of their kind only', () => {
    expect([
      SETTING_KINDS.string.accepts('x'),
      SETTING_KINDS.string.accepts(''),
      SETTING_KINDS.string.accepts(1),
    ]).toEqual([true, true, false])
    expect([true, false, 'true', 0].map((v) => SETTING_KINDS.boolean.accepts(v))).toEqual([true, true, false, false])
    const list = SETTING_KINDS['string-list'].accepts
    expect([list(['a', 'b']), list([]), list(['a', 1]), list([1, 'a']), list('a'), list(undefined)]).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ])
    expect(['1h', 3600, true, null].map((v) => SETTING_KINDS.duration.accepts(v))).toEqual([true, true, false, false])
    expect([3, 0, -2, 3.5, '3'].map((v) => SETTING_KINDS.integer.accepts(v))).toEqual([true, true, true, false, false])
  })

  it('say how a value of theirs is written', () => {
    expect(Object.values(SETTING_KINDS).map((kind) => kind.written)).toEqual([
      'a string',
      'a boolean',
      'a list of strings',
      'a duration such as "1h"',
      'a whole number',
    ])
  })
})

describe('deploy setting checks', () => {
  it('stack name: a letter, then letters, digits and hyphens, 128 at most', () => {
    for (const name of ['EventPulse', 'a', 'Catalog-2', `A${'a'.repeat(127)}`])
      expect(check('stackName', name), name).toBeUndefined()
    for (const name of ['1abc', '-abc', 'a_b', '', `A${'a'.repeat(128)}`])
      expect(check('stackName', name), name).toStrictEqual({
        message: `Invalid stack name "${name}".`,
        hint: STACK_NAME_HINT,
      })
  })

  it('region: like eu-west-1', () => {
    for (const region of ['eu-west-1', 'us-gov-west-1', 'ap-southeast-2'])
      expect(check('region', region)).toBeUndefined()
    for (const region of ['EU-west-1', 'eu-west', 'europe', 'eu-west-1a'])
      expect(check('region', region), region).toStrictEqual({
        message: `Invalid region "${region}".`,
        hint: 'Regions look like eu-west-1.',
      })
    expect(check('replicaRegions', 'us-east-1')).toBeUndefined()
    expect(check('replicaRegions', 'east')).toStrictEqual({
      message: 'Invalid region "east".',
      hint: 'Regions look like eu-west-1.',
    })
  })

  it('e-mail: something@domain.tld, loosely', () => {
    expect(check('email', 'ops@example.com')).toBeUndefined()
    for (const email of ['ops', 'ops@example', 'ops@@example.com', 'o ps@example.com'])
      expect(check('email', email), email).toStrictEqual({message: `Invalid e-mail address "${email}".`})
  })

  it('trusted principal: an account id or a user, role or root ARN', () => {
    for (const principal of [
      '111122223333',
      'arn:aws:iam::111122223333:root',
      'arn:aws:iam::111122223333:role/uploader',
      'arn:aws:iam::111122223333:user/ops/alice',
      'arn:aws-us-gov:iam::111122223333:role/x',
    ]) {
      expect(isValidTrustedPrincipal(principal), principal).toBe(true)
      expect(check('trustedPrincipals', principal), principal).toBeUndefined()
    }
    for (const principal of ['11112222333', '1111222233334', 'arn:aws:iam::111122223333:policy/x', 'alice'])
      expect(isValidTrustedPrincipal(principal), principal).toBe(false)
  })

  it('trusted principal: says why a group or a wildcard cannot be trusted', () => {
    expect(check('trustedPrincipals', 'arn:aws:iam::111122223333:group/admins')).toStrictEqual({
      message:
        'Invalid trusted principal "arn:aws:iam::111122223333:group/admins". IAM cannot trust a group: name its ' +
        'users, or a role they assume.',
      hint: PRINCIPAL_HINT,
    })
    expect(check('trustedPrincipals', 'arn:aws:iam::111122223333:group/*')).toStrictEqual({
      message:
        'Invalid trusted principal "arn:aws:iam::111122223333:group/*". IAM cannot trust a group: name its users, ' +
        'or a role they assume.',
      hint: PRINCIPAL_HINT,
    })
    expect(check('trustedPrincipals', 'arn:aws:iam::111122223333:role/*')).toStrictEqual({
      message:
        'Invalid trusted principal "arn:aws:iam::111122223333:role/*". A trust policy cannot name principals by wildcard.',
      hint: PRINCIPAL_HINT,
    })
    expect(check('trustedPrincipals', 'alice')).toStrictEqual({
      message: 'Invalid trusted principal "alice".',
      hint: PRINCIPAL_HINT,
    })
  })

  it('external id: 2 to 1224 characters of letters, digits and + = , . @ : / - _', () => {
    for (const id of ['ab', 'acme-7f3a', 'a+=,.@:/-_z', 'x'.repeat(1224)])
      expect(check('externalId', id)).toBeUndefined()
    for (const id of ['a', '', 'x'.repeat(1225), 'acme 7f3a', 'acme#1'])
      expect(check('externalId', id), id).toStrictEqual({
        message: 'Invalid external id.',
        hint: 'An external id has 2 to 1224 characters: letters, digits and + = , . @ : / - _.',
      })
  })

  it('stuck-object age: a positive whole number of seconds', () => {
    for (const seconds of [1, 60, 900]) expect(check('stuckAfter', seconds, `${seconds}s`)).toBeUndefined()
    expect(check('stuckAfter', 0, '0s')).toStrictEqual({
      message: 'Invalid stuck-object age: "0s".',
      hint: 'Give a positive duration such as 30m, 1h or 2d.',
    })
    expect(check('stuckAfter', -60, -60)).toStrictEqual({
      message: 'Invalid stuck-object age: -60.',
      hint: 'Give a positive duration such as 30m, 1h or 2d.',
    })
    expect(check('stuckAfter', 1.5, 1.5)).toMatchObject({message: 'Invalid stuck-object age: 1.5.'})
  })

  it('sweep interval: a whole number of minutes, at least one', () => {
    for (const seconds of [60, 120, 3600])
      expect(check('sweepEvery', seconds, seconds), String(seconds)).toBeUndefined()
    for (const seconds of [0, 59, 90, 61, 60.5, -60])
      expect(check('sweepEvery', seconds, seconds), String(seconds)).toStrictEqual({
        message: `Invalid sweep interval: ${seconds}.`,
        hint: 'Give a whole number of minutes, at least one, such as 5m or 1h.',
      })
    expect(check('sweepEvery', 90, '90s')).toMatchObject({message: 'Invalid sweep interval: "90s".'})
  })

  it('MFA age: from one minute to 36 hours', () => {
    for (const seconds of [60, 3600, 129_600])
      expect(check('mfaMaxAge', seconds, seconds), String(seconds)).toBeUndefined()
    for (const seconds of [59, 0, 129_601, 90.5])
      expect(check('mfaMaxAge', seconds, seconds), String(seconds)).toStrictEqual({
        message: `Invalid MFA age: ${seconds}.`,
        hint: 'Give a duration from 1m to 36h, such as 1h.',
      })
    expect(check('mfaMaxAge', 129_601, '36h1s')).toMatchObject({message: 'Invalid MFA age: "36h1s".'})
  })

  it('access-log retention: a whole number of days, at least one', () => {
    for (const seconds of [86_400, 172_800, 31_536_000])
      expect(check('accessLogRetention', seconds, seconds), String(seconds)).toBeUndefined()
    for (const seconds of [0, 86_399, 129_600, 86_400.5, -86_400])
      expect(check('accessLogRetention', seconds, seconds), String(seconds)).toStrictEqual({
        message: `Invalid access-log retention: ${seconds}.`,
        hint: 'Give a whole number of days, at least one, such as 365d.',
      })
    expect(check('accessLogRetention', 129_600, '36h')).toMatchObject({message: 'Invalid access-log retention: "36h".'})
  })

  it('processor concurrency: a whole number from 1 to 1000', () => {
    for (const count of [1, 10, 1000]) expect(check('processorConcurrency', count), String(count)).toBeUndefined()
    for (const count of [0, 1001, 2.5, -1])
      expect(check('processorConcurrency', count), String(count)).toStrictEqual({
        message: `Invalid processor concurrency: ${count}.`,
        hint: 'Give a whole number from 1 to 1000 (and below your account concurrency limit).',
      })
  })

  it('history retention: at least a day, in whole seconds', () => {
    for (const seconds of [86_400, 86_401, 31_536_000])
      expect(check('historyRetention', seconds, seconds), String(seconds)).toBeUndefined()
    for (const seconds of [86_399, 0, 86_400.5])
      expect(check('historyRetention', seconds, seconds), String(seconds)).toStrictEqual({
        message: `Invalid history retention: ${seconds}.`,
        hint: 'Give a duration of at least one day, such as 90d or 365d.',
      })
    expect(check('historyRetention', 3600, '1h')).toMatchObject({message: 'Invalid history retention: "1h".'})
  })

  it('bucket names: S3’s rules, roughly', () => {
    for (const name of ['catalog-processing', 'abc', 'a.b-c1'])
      expect(check('processingBucketName', name), name).toBeUndefined()
    for (const name of ['Catalog', 'ab', '-abc', 'abc-', 'a_b', 'a'.repeat(64)])
      expect(check('quarantineBucketName', name), name).toStrictEqual({message: `Invalid bucket name "${name}".`})
  })
})

describe('the settings table', () => {
  it('lists every setting with its key, in the help’s order', () => {
    const entries = deploySettings()
    expect(entries.map((entry) => entry.key)).toEqual([
      'stackName',
      'region',
      'profile',
      'email',
      'notifyQuarantinedOnly',
      'trustedPrincipals',
      'externalId',
      'requireMfa',
      'mfaMaxAge',
      'accessLogRetention',
      'processorConcurrency',
      'tracing',
      'destroyDataOnDelete',
      'replicaRegions',
      'stuckAfter',
      'sweepEvery',
      'historyRetention',
      'uploaderMayReplace',
      'processingBucketName',
      'quarantineBucketName',
    ])
    expect(entries[0]).toMatchObject({key: 'stackName', kind: 'string', prop: 'stackName', flag: {name: 'stack'}})
  })

  it('gives the stack every default, and no setting without one or outside the stack', () => {
    expect(stackSettingDefaults()).toStrictEqual(DEFAULTS)
  })

  it('gives fresh lists each time', () => {
    const defaults = stackSettingDefaults()
    defaults.trustedPrincipals.push('111122223333')
    defaults.replicaRegions.push('us-east-1')
    expect(stackSettingDefaults()).toStrictEqual(DEFAULTS)
    expect(DEPLOY_SETTINGS.trustedPrincipals.default).toEqual([])
  })
})

describe('settingsConflict', () => {
  const settings = (extra: Partial<StackSettings>): StackSettings => ({...structuredClone(DEFAULTS), ...extra})

  it('refuses the stack’s own region as a replica', () => {
    expect(settingsConflict(settings({region: 'eu-west-1', replicaRegions: ['us-east-1', 'eu-west-1']}))).toStrictEqual(
      {
        message: "Replica region eu-west-1 is the stack's own region.",
        hint: 'List only the other regions the table is replicated to.',
      },
    )
    expect(settingsConflict(settings({region: 'eu-west-1', replicaRegions: ['us-east-1']}))).toBeUndefined()
    expect(settingsConflict(settings({replicaRegions: ['us-east-1']}))).toBeUndefined()
  })

  it('refuses e-mail filtering without an e-mail address', () => {
    expect(settingsConflict(settings({notifyQuarantinedOnly: true}))).toStrictEqual({
      message: '--notify-quarantined-only filters the e-mail subscription, but no e-mail address is given.',
      hint: 'Add --email.',
    })
    expect(settingsConflict(settings({notifyQuarantinedOnly: true, email: 'ops@example.com'}))).toBeUndefined()
    expect(settingsConflict(settings({notifyQuarantinedOnly: false}))).toBeUndefined()
  })

  it('finds nothing wrong with the defaults', () => {
    expect(settingsConflict(settings({}))).toBeUndefined()
  })
})
