import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  cachedStackRegions,
  readStackOutputsCache,
  stackOutputsCacheFile,
  writeStackOutputsCache,
} from '#aws/stack-outputs-cache.js'
import {tempDir} from '../helpers/temp-dirs.js'

// Every call is given its environment: nothing here reads or changes the process's own.

const OUTPUTS = {ProcessingBucketName: 'ep-processing-abc', TableName: 'EventPulse-Table'}

function cacheHome() {
  const home = tempDir('ep-outputs-cache-')
  return {home, env: {XDG_CACHE_HOME: home}, stacks: join(home, 'eventpulse', 'stacks')}
}

describe('where the outputs are cached', () => {
  it('one file per profile, region and stack under XDG_CACHE_HOME/eventpulse/stacks', () => {
    const {env, stacks} = cacheHome()
    expect(stackOutputsCacheFile({profile: 'dev', region: 'eu-west-1', stack: 'EventPulse'}, env)).toBe(
      join(stacks, 'dev', 'eu-west-1', 'EventPulse.json'),
    )
  })

  it('the default profile when none (or an empty one) is named', () => {
    const {env, stacks} = cacheHome()
    const expected = join(stacks, 'default', 'us-east-1', 'S.json')
    expect(stackOutputsCacheFile({region: 'us-east-1', stack: 'S'}, env)).toBe(expected)
    expect(stackOutputsCacheFile({profile: '', region: 'us-east-1', stack: 'S'}, env)).toBe(expected)
  })

  it('~/.cache without XDG_CACHE_HOME', () => {
    expect(stackOutputsCacheFile({region: 'eu-west-1', stack: 'EventPulse'}, {})).toBe(
      join(homedir(), '.cache', 'eventpulse', 'stacks', 'default', 'eu-west-1', 'EventPulse.json'),
    )
  })

  it('a folder per emulator endpoint, named by the first 16 hex digits of its SHA-256', () => {
    const {env, stacks} = cacheHome()
    expect(
      stackOutputsCacheFile({region: 'eu-west-1', stack: 'EventPulse', endpoint: 'http://127.0.0.1:4566'}, env),
    ).toBe(join(stacks, 'default', 'eu-west-1', 'endpoint-de17eadc96e86e5b', 'EventPulse.json'))
  })

  it('names that could leave the cache folder are made safe', () => {
    const {env, stacks} = cacheHome()
    expect(stackOutputsCacheFile({profile: '../../etc', region: '..', stack: 'a/b c'}, env)).toBe(
      join(stacks, '__.._etc', '_', 'a_b_c.json'),
    )
    expect(stackOutputsCacheFile({profile: '.hidden', region: 'eu-west-1', stack: '...'}, env)).toBe(
      join(stacks, '_hidden', 'eu-west-1', '_.json'),
    )
    // The characters a profile or stack name may hold are kept as they are.
    expect(stackOutputsCacheFile({profile: 'a..b@c=d+e_f-G9', region: 'eu-west-1', stack: 'x.y'}, env)).toBe(
      join(stacks, 'a..b@c=d+e_f-G9', 'eu-west-1', 'x.y.json'),
    )
  })

  it('an empty name is one underscore', () => {
    const {env, stacks} = cacheHome()
    expect(stackOutputsCacheFile({profile: 'p', region: '', stack: ''}, env)).toBe(join(stacks, 'p', '_', '_.json'))
  })
})

describe('writing and reading the cache', () => {
  it('writes an owner-only JSON document saying whose outputs they are, and reads the outputs back', async () => {
    const {env, stacks} = cacheHome()
    const target = {profile: 'dev', region: 'eu-west-1', stack: 'EventPulse', account: '123456789012'}
    const before = Date.now()
    await writeStackOutputsCache(target, OUTPUTS, env)
    const file = join(stacks, 'dev', 'eu-west-1', 'EventPulse.json')
    const text = readFileSync(file, 'utf8')
    expect(text.endsWith('}\n')).toBe(true)
    expect(text).toContain('\n  "stack": "EventPulse",\n')
    const document = JSON.parse(text)
    expect(document).toEqual({
      stack: 'EventPulse',
      region: 'eu-west-1',
      profile: 'dev',
      account: '123456789012',
      savedAt: expect.any(String),
      outputs: OUTPUTS,
    })
    expect(Date.parse(document.savedAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(document.savedAt)).toBeLessThanOrEqual(Date.now() + 1000)
    expect(document.savedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(await readStackOutputsCache(target, env)).toEqual(OUTPUTS)
  })

  it('writes the default profile by name and the endpoint of an emulator', async () => {
    const {env} = cacheHome()
    const target = {region: 'eu-west-1', stack: 'EventPulse', endpoint: 'http://127.0.0.1:4566'}
    await writeStackOutputsCache(target, OUTPUTS, env)
    const document = JSON.parse(readFileSync(stackOutputsCacheFile(target, env), 'utf8'))
    expect(document).toMatchObject({profile: 'default', endpoint: 'http://127.0.0.1:4566'})
    expect(document.account).toBeUndefined()
    expect(await readStackOutputsCache(target, env)).toEqual(OUTPUTS)
  })

  it('a second write replaces the first', async () => {
    const {env} = cacheHome()
    const target = {region: 'eu-west-1', stack: 'EventPulse'}
    await writeStackOutputsCache(target, OUTPUTS, env)
    await writeStackOutputsCache(target, {TableName: 'Newer'}, env)
    expect(await readStackOutputsCache(target, env)).toEqual({TableName: 'Newer'})
  })

  it('nothing cached is a miss', async () => {
    const {env} = cacheHome()
    expect(await readStackOutputsCache({region: 'eu-west-1', stack: 'EventPulse'}, env)).toBeUndefined()
  })

  const cachedAs = (env: NodeJS.ProcessEnv, target: {region: string; stack: string}, text: string) => {
    const file = stackOutputsCacheFile(target, env)
    mkdirSync(join(file, '..'), {recursive: true})
    writeFileSync(file, text)
  }

  it.each([
    ['not JSON', '{"outputs": {'],
    ['no outputs', '{"stack": "EventPulse"}'],
    ['outputs that are not an object', '{"outputs": "ProcessingBucketName"}'],
    ['null outputs', '{"outputs": null}'],
    ['JSON null', 'null'],
  ])('a file that is %s is a miss, not an error', async (_, text) => {
    const {env} = cacheHome()
    const target = {region: 'eu-west-1', stack: 'EventPulse'}
    cachedAs(env, target, text)
    expect(await readStackOutputsCache(target, env)).toBeUndefined()
  })

  it('keeps only the outputs whose values are strings', async () => {
    const {env} = cacheHome()
    const target = {region: 'eu-west-1', stack: 'EventPulse'}
    cachedAs(env, target, JSON.stringify({outputs: {TableName: 'T', StuckAfterSeconds: 600, Other: null, Empty: ''}}))
    expect(await readStackOutputsCache(target, env)).toEqual({TableName: 'T', Empty: ''})
  })

  it("is a miss when the file's endpoint is not the target's (a copied or hand-edited file)", async () => {
    const {env} = cacheHome()
    const aws = {region: 'eu-west-1', stack: 'EventPulse'}
    cachedAs(env, aws, JSON.stringify({endpoint: 'http://127.0.0.1:4566', outputs: OUTPUTS}))
    expect(await readStackOutputsCache(aws, env)).toBeUndefined()
    const emulator = {...aws, endpoint: 'http://127.0.0.1:4566'}
    cachedAs(env, emulator, JSON.stringify({outputs: OUTPUTS}))
    expect(await readStackOutputsCache(emulator, env)).toBeUndefined()
    cachedAs(env, emulator, JSON.stringify({endpoint: 'http://127.0.0.1:9999', outputs: OUTPUTS}))
    expect(await readStackOutputsCache(emulator, env)).toBeUndefined()
    // An endpoint of null in the file is none.
    cachedAs(env, aws, JSON.stringify({endpoint: null, outputs: OUTPUTS}))
    expect(await readStackOutputsCache(aws, env)).toEqual(OUTPUTS)
  })

  it("is a miss when written for another account, or for none, once the target's account is known", async () => {
    const {env} = cacheHome()
    const target = {region: 'eu-west-1', stack: 'EventPulse'}
    await writeStackOutputsCache({...target, account: '111122223333'}, OUTPUTS, env)
    expect(await readStackOutputsCache({...target, account: '111122223333'}, env)).toEqual(OUTPUTS)
    expect(await readStackOutputsCache({...target, account: '444455556666'}, env)).toBeUndefined()
    // Offline (no account known) the file is used whatever account it names.
    expect(await readStackOutputsCache(target, env)).toEqual(OUTPUTS)
    await writeStackOutputsCache(target, OUTPUTS, env)
    expect(await readStackOutputsCache({...target, account: '111122223333'}, env)).toBeUndefined()
  })
})

describe('cachedStackRegions', () => {
  it("the regions where the profile's stack is cached, sorted; not other stacks', profiles' or emulators'", async () => {
    const {env} = cacheHome()
    for (const region of ['eu-west-1', 'us-west-2', 'ap-south-1'])
      await writeStackOutputsCache({profile: 'dev', region, stack: 'EventPulse'}, OUTPUTS, env)
    await writeStackOutputsCache({profile: 'dev', region: 'eu-north-1', stack: 'Other'}, OUTPUTS, env)
    await writeStackOutputsCache({profile: 'ops', region: 'eu-central-1', stack: 'EventPulse'}, OUTPUTS, env)
    await writeStackOutputsCache(
      {profile: 'dev', region: 'ca-central-1', stack: 'EventPulse', endpoint: 'http://127.0.0.1:4566'},
      OUTPUTS,
      env,
    )
    expect(await cachedStackRegions({profile: 'dev', stack: 'EventPulse'}, env)).toEqual([
      'ap-south-1',
      'eu-west-1',
      'us-west-2',
    ])
    expect(await cachedStackRegions({profile: 'dev', stack: 'Other'}, env)).toEqual(['eu-north-1'])
  })

  it('the default profile when none is named; none at all when nothing is cached', async () => {
    const {env} = cacheHome()
    expect(await cachedStackRegions({stack: 'EventPulse'}, env)).toEqual([])
    await writeStackOutputsCache({region: 'eu-west-1', stack: 'EventPulse'}, OUTPUTS, env)
    expect(await cachedStackRegions({stack: 'EventPulse'}, env)).toEqual(['eu-west-1'])
    expect(await cachedStackRegions({profile: '', stack: 'EventPulse'}, env)).toEqual(['eu-west-1'])
    expect(await cachedStackRegions({profile: 'dev', stack: 'EventPulse'}, env)).toEqual([])
  })

  it('finds a stack whose name was made safe for the file system', async () => {
    const {env} = cacheHome()
    await writeStackOutputsCache({region: 'eu-west-1', stack: 'a/b'}, OUTPUTS, env)
    expect(await cachedStackRegions({stack: 'a/b'}, env)).toEqual(['eu-west-1'])
  })
})
