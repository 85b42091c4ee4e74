import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, expect, it, vi} from 'vitest'

import {onPath, printTargets} from '../../bench/measure.js'

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

it('finds a command wherever the PATH has it installed, not only in /usr/bin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-path-'))
  try {
    writeFileSync(join(dir, 'aws'), '#!/bin/sh\n')
    chmodSync(join(dir, 'aws'), 0o755)
    vi.stubEnv('PATH', `/nonexistent:${dir}`)
    expect(onPath('aws')).toBe(join(dir, 'aws'))
    vi.stubEnv('PATH', '/nonexistent')
    expect(onPath('aws')).toBeUndefined()
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

it('says which of its printed targets a run missed, and how many', () => {
  const lines: string[] = []
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
  printTargets([
    {target: 'validate ≥ 2x faster than ajv-cli', met: true, measured: '2.40x'},
    {target: 'start-up within 3x of bare node', met: false, measured: '3.70x'},
  ])
  expect(lines.join('\n')).toContain('  met     validate ≥ 2x faster than ajv-cli (2.40x)')
  expect(lines.join('\n')).toContain('  MISSED  start-up within 3x of bare node (3.70x)')
  expect(lines.at(-1)).toBe('  1 of 2 targets MISSED.')
})
