import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {expect, it} from 'vitest'

import {runCli} from '../helpers/run-cli.js'

it('validate of a 7 MB gzip of one record repeated 29 million times stops at the record limit, in 256 MB of heap', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eventpulse-validate-bomb-'))
  try {
    const record = JSON.stringify({ArtistID: 'Bomb Artist', ItemID: 'TRACK#Again', EntityType: 'Track'})
    // Gzip members one after another are one gzip file (RFC 1952), so the bomb is made in milliseconds.
    const member = gzipSync(`${record}\n`.repeat(200_000), {level: 9})
    const bomb = Buffer.concat(Array.from({length: 145}, () => member))
    expect(bomb.length).toBeGreaterThan(6_500_000)
    expect(bomb.length).toBeLessThan(7_500_000)
    const file = join(dir, 'bomb.ndjson.gz')
    await writeFile(file, bomb)

    // The real limit of a million records: about 30 s on two busy cores.
    const started = Date.now()
    const run = await runCli(['validate', file], {env: {NODE_OPTIONS: '--max-old-space-size=256'}})
    expect(run.stderr).toBe('')
    expect(run.stdout.split('\n')).toEqual([
      `${file}:1000001:1  record 1000001 and all after it are past the limit of 1000000 records per batch, ` +
        'and were not read; split the file [too-large]',
      `${file}: 1000001 records, 1000000 valid, 1 invalid (file invalid).`,
      'Checked 1 file: 0 valid, 1 invalid.',
      '',
    ])
    expect(run.exitCode).toBe(1)
    console.log(`validate of a ${bomb.length}-byte gzip bomb: ${Date.now() - started} ms`)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}, 180_000)
