import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {keysFromArguments} from '#status/keys-from-arguments.js'
import {removeDir} from '../processor/helpers.js'

// `status ARG…`: files and directories on disk name the keys `upload` gave them; anything else is a key.

const dir = mkdtempSync(join(tmpdir(), 'ep-status-keys-'))
afterAll(() => removeDir(dir))

describe('keysFromArguments', () => {
  it('gives the keys upload gives the files of a directory (with the same prefix), other arguments as they are, each once', async () => {
    const folder = join(dir, 'uploads')
    mkdirSync(join(folder, 'sub'), {recursive: true})
    writeFileSync(join(folder, 'a.json'), '{}')
    writeFileSync(join(folder, 'sub', 'b.json'), '{}')
    writeFileSync(join(dir, 'single.json'), '{}')
    expect(
      (
        await keysFromArguments(
          [folder, 'elsewhere/c.json', join(dir, 'single.json'), 'elsewhere/c.json', `${folder}/*.json`],
          'in',
        )
      ).map((argument) => argument.key),
    ).toEqual(['in/a.json', 'in/sub/b.json', 'elsewhere/c.json', 'in/single.json', `${folder}/*.json`])
  })

  it('without a prefix, a file is named by its own name', async () => {
    writeFileSync(join(dir, 'plain.json'), '{}')
    expect(await keysFromArguments([join(dir, 'plain.json'), 'x.json'])).toEqual([
      {
        key: 'plain.json',
        file: {displayPath: join(dir, 'plain.json'), absolutePath: join(dir, 'plain.json'), relativePath: 'plain.json'},
      },
      {key: 'x.json'},
    ])
  })
})
