import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {entriesOf, resolveEntryArguments, taggedEntriesOf} from '#quarantine/entries.js'
import {startEmulators, type Emulators} from '../cli/helpers/emulators.js'
import {entryAt, id, keysOf, localTarget} from './helpers/entries.js'

// A source key's entries on the local S3 are its own: the prefix `<source key>/q-` also lists the entries of a longer
// source key whose next folder starts with `q-`.

let e: Emulators

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

describe('the entries of a source key', () => {
  it('leave out those of a longer source key under a folder named q-…', async () => {
    await entryAt(e.s3, `pfx/a.json/${id(1)}`, '2024-06-01')
    await entryAt(e.s3, `pfx/a.json/q-b.json/${id(2)}`, '2024-06-02')
    const target = localTarget(e.s3)
    expect(keysOf(await entriesOf(target, 'pfx/a.json'))).toEqual(['pfx/a.json/q-0000000000000001'])
    expect(keysOf((await resolveEntryArguments(target, ['pfx/a.json']))[0].entries)).toEqual([
      'pfx/a.json/q-0000000000000001',
    ])
    expect(keysOf(await taggedEntriesOf(target, 'pfx/a.json'))).toEqual(['pfx/a.json/q-0000000000000001'])
  })
})
