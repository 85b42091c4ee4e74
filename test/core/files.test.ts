import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {writeFileAtomically} from '#core/files.js'
import {tempDir} from '../helpers/temp-dirs.js'

const modeOf = (path: string) => statSync(path).mode & 0o777

describe('writeFileAtomically', () => {
  it('creates the missing folders owner-only (0700) and the file with the mode asked for', async () => {
    const root = tempDir('eventpulse-files-')
    const file = join(root, 'a', 'b', 'state.json')
    await writeFileAtomically(file, '{"port":4566}', {mode: 0o600})
    expect(readFileSync(file, 'utf8')).toBe('{"port":4566}')
    expect(modeOf(file)).toBe(0o600)
    expect(modeOf(join(root, 'a'))).toBe(0o700)
    expect(modeOf(join(root, 'a', 'b'))).toBe(0o700)
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['state.json'])
  })

  it('replaces a file whole, leaving no temporary file beside it', async () => {
    const root = tempDir('eventpulse-files-')
    const file = join(root, 'outputs.json')
    writeFileSync(file, 'old and longer content')
    await writeFileAtomically(file, 'new', {mode: 0o600})
    expect(readFileSync(file, 'utf8')).toBe('new')
    expect(modeOf(file)).toBe(0o600)
    expect(readdirSync(root)).toEqual(['outputs.json'])
  })

  it('leaves an existing folder’s mode as it is', async () => {
    const root = tempDir('eventpulse-files-')
    const folder = join(root, 'shared')
    mkdirSync(folder)
    chmodSync(folder, 0o755)
    await writeFileAtomically(join(folder, 'x'), 'x', {mode: 0o600})
    expect(modeOf(folder)).toBe(0o755)
  })
})
