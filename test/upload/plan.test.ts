import {describe, expect, it} from 'vitest'

import {planUpload, prepareFile, requireStdinKey} from '#upload/plan.js'
import {temporaryFolders} from './folders.js'

// What `upload` plans before it reads or sends anything: each file's key, and the keys it refuses.

const VALID = JSON.stringify({ArtistID: 'Plan', ItemID: 'TRACK#1'})
const folder = temporaryFolders('ep-plan')

describe('planUpload', () => {
  it('gives each file its path below the directory as key, after the prefix', async () => {
    const at = folder({'a.json': VALID, 'sub/b.json': VALID})
    const plan = await planUpload([at], {prefix: 'in'})
    expect(plan.map(({file, key}) => [file.displayPath, key])).toEqual([
      [`${at}/a.json`, 'in/a.json'],
      [`${at}/sub/b.json`, 'in/sub/b.json'],
    ])
  })

  it('puts standard input under the key given for it', async () => {
    expect(await planUpload(['-'], {stdinKey: 'record.json', prefix: 'in'})).toEqual([
      {file: {displayPath: '<stdin>', relativePath: 'record.json'}, key: 'in/record.json'},
    ])
  })

  it('refuses, naming both files, two files that would go under one key (exit 2)', async () => {
    const one = folder({'same.json': VALID})
    const two = folder({'same.json': VALID})
    const refused = planUpload([one, two], {})
    await expect(refused).rejects.toMatchObject({
      exitCode: 2,
      code: 'KeysRefused',
      message: `Nothing was uploaded: a key is refused.\n  ${two}/same.json and ${one}/same.json would both be uploaded as same.json`,
      hint: expect.stringContaining('--prefix'),
    })
  })

  it('refuses keys that could escape the prefix, every one of them named', async () => {
    const at = folder({'a.json': VALID, 'b.json': VALID})
    await expect(planUpload([at], {prefix: '../up'})).rejects.toMatchObject({
      exitCode: 2,
      message:
        'Nothing was uploaded: some keys are refused.' +
        `\n  ${at}/a.json: the key has a . or .. segment ("../up/a.json")` +
        `\n  ${at}/b.json: the key has a . or .. segment ("../up/b.json")`,
    })
  })

  it('takes a file name with a control character for what it is: refused', async () => {
    const at = folder({'bell\u0007.json': VALID})
    await expect(planUpload([at], {})).rejects.toMatchObject({
      message: expect.stringContaining('the key holds a control character'),
      hint: expect.stringContaining('control characters'),
    })
  })
})

describe('prepareFile', () => {
  it('checks a one-record file as the pipeline will, and refuses it when validating and it is invalid', async () => {
    const at = folder({'ok.json': VALID, 'bad.json': '{"ArtistID": 1}'})
    const [bad, ok] = await planUpload([at], {})
    expect(await prepareFile(ok, true)).toEqual({
      body: Buffer.from(VALID),
      check: expect.objectContaining({ok: true}),
      report: {file: `${at}/ok.json`, valid: true, errors: []},
    })
    expect((await prepareFile(bad, true)).report).toMatchObject({valid: false, reason: 'schema'})
    // Unvalidated: checked all the same (to find the record in the table), but never refused.
    const unvalidated = await prepareFile(bad, false)
    expect(unvalidated.check).toMatchObject({ok: false, reason: 'schema'})
    expect(unvalidated.report).toBeUndefined()
  })

  it('checks a batch file by its records, only when validating', async () => {
    const at = folder({'many.ndjson': `${VALID}\n{"ArtistID": 2}\n`})
    const [batch] = await planUpload([at], {})
    const validated = await prepareFile(batch, true)
    expect(validated.check).toBeUndefined()
    expect(validated.report).toMatchObject({valid: false, reason: 'schema', records: {valid: 1, invalid: 1}})
    expect(await prepareFile(batch, false)).toEqual({body: Buffer.from(`${VALID}\n{"ArtistID": 2}\n`)})
  })
})

describe('requireStdinKey', () => {
  it('asks for a key when standard input is uploaded without one (exit 2)', () => {
    expect(() => requireStdinKey(['a.json', '-'], undefined)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: 'Uploading standard input needs a key.',
        hint: expect.stringContaining('--stdin-key'),
      }),
    )
    expect(() => requireStdinKey(['-'], 'record.json')).not.toThrow()
    expect(() => requireStdinKey(['a.json'], undefined)).not.toThrow()
  })
})
