import {homedir} from 'node:os'

import {describe, expect, it} from 'vitest'

import {cacheDir, dataDir, localStateFile} from '#core/paths.js'

describe('data and cache folders', () => {
  it('follow XDG_DATA_HOME and XDG_CACHE_HOME', () => {
    const env = {XDG_DATA_HOME: '/srv/data', XDG_CACHE_HOME: '/srv/cache'}
    expect(dataDir(env)).toBe('/srv/data/eventpulse')
    expect(cacheDir(env)).toBe('/srv/cache/eventpulse')
    expect(localStateFile(env)).toBe('/srv/data/eventpulse/local/state.json')
  })

  it('default to ~/.local/share and ~/.cache when the variables are unset or empty', () => {
    for (const env of [{}, {XDG_DATA_HOME: '', XDG_CACHE_HOME: ''}]) {
      expect(dataDir(env)).toBe(`${homedir()}/.local/share/eventpulse`)
      expect(cacheDir(env)).toBe(`${homedir()}/.cache/eventpulse`)
      expect(localStateFile(env)).toBe(`${homedir()}/.local/share/eventpulse/local/state.json`)
    }
  })

  it('read the process environment when given none', () => {
    const saved = {data: process.env.XDG_DATA_HOME, cache: process.env.XDG_CACHE_HOME}
    try {
      process.env.XDG_DATA_HOME = '/env/data'
      process.env.XDG_CACHE_HOME = '/env/cache'
      expect(dataDir()).toBe('/env/data/eventpulse')
      expect(cacheDir()).toBe('/env/cache/eventpulse')
      expect(localStateFile()).toBe('/env/data/eventpulse/local/state.json')
    } finally {
      for (const [name, value] of [
        ['XDG_DATA_HOME', saved.data],
        ['XDG_CACHE_HOME', saved.cache],
      ] as const)
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
    }
  })
})
