import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {tempDir} from '../helpers/temp-dirs.js'

const VALID = JSON.stringify({ArtistID: {S: 'Knock2'}, ItemID: {S: 'TRACK#FeelULuvMe'}, Duration: {N: '234'}})
let dir: string

beforeAll(() => {
  dir = tempDir('eventpulse-validate-')
  mkdirSync(join(dir, 'catalog/nested'), {recursive: true})
  writeFileSync(join(dir, 'catalog/good.json'), VALID)
  writeFileSync(join(dir, 'catalog/nested/plain.json'), '{"ArtistID":"Knock2","ItemID":"TRACK#X","Features":["Isoxo"]}')
  writeFileSync(join(dir, 'catalog/notes.txt'), 'not a record')
  writeFileSync(
    join(dir, 'bad.json'),
    '{\n  "ArtistID": {"S": "Knock2"},\n  "ItemID": {"S": "TRACK#X"},\n  "Features": {"L": ["Isoxo"]}\n}\n',
  )
})

describe('eventpulse validate', () => {
  it('passes valid files with exit 0 and a summary', async () => {
    const run = await runCli(['validate', join(dir, 'catalog/good.json')])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe('Checked 1 file: 1 valid, 0 invalid.\n')
  })

  it('reports problems compiler-style with exit 1', async () => {
    const run = await runCli(['validate', 'bad.json'], {cwd: dir})
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe(
      'bad.json:4:22  Features[0] must be {"S": string}, got a bare string "Isoxo" [schema]' +
        '\nChecked 1 file: 0 valid, 1 invalid.\n',
    )
  })

  it('searches directories recursively for *.json only', async () => {
    const run = await runCli(['validate', 'catalog'], {cwd: dir})
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('Checked 2 files: 2 valid, 0 invalid.')
  })

  it('expands quoted globs', async () => {
    const run = await runCli(['validate', '**/*.json', '--json'], {cwd: dir})
    expect(run.exitCode).toBe(1)
    const {result} = JSON.parse(run.stdout)
    expect(result.files.map((f: {file: string}) => f.file).sort()).toEqual([
      'bad.json',
      'catalog/good.json',
      'catalog/nested/plain.json',
    ])
  })

  it('reads standard input for -', async () => {
    const good = await runCli(['validate', '-'], {input: VALID})
    expect(good.exitCode).toBe(0)
    const bad = await runCli(['validate', '-'], {input: '{"ArtistID": 1'})
    expect(bad.exitCode).toBe(1)
    expect(bad.stdout).toMatch(/^<stdin>:1:15 {2}not valid JSON/)
  })

  it('prints one JSON document with per-file verdicts', async () => {
    const run = await runCli(['validate', 'bad.json', 'catalog/good.json', '--json'], {cwd: dir})
    expect(run.exitCode).toBe(1)
    expect(JSON.parse(run.stdout)).toEqual({
      status: 1,
      result: {
        summary: {checked: 2, valid: 1, invalid: 1},
        sameKey: [],
        files: [
          {
            file: 'bad.json',
            valid: false,
            reason: 'schema',
            errors: [
              {
                path: '/Features/L/0',
                line: 4,
                column: 22,
                message: 'Features[0] must be {"S": string}, got a bare string "Isoxo"',
              },
            ],
          },
          {file: 'catalog/good.json', valid: true, errors: []},
        ],
      },
    })
  })

  it('reports two records with one ArtistID + ItemID in different files as a problem of the set: exit 1, text and JSON', async () => {
    const pair = tempDir('eventpulse-validate-pair-')
    writeFileSync(join(pair, 'a.json'), VALID)
    writeFileSync(join(pair, 'b.ndjson'), `${VALID.replace('234', '235')}\n`)
    const text = await runCli(['validate', 'a.json', 'b.ndjson'], {cwd: pair})
    expect(text.exitCode).toBe(1)
    expect(text.stdout).toBe(
      'b.ndjson: 1 records, 1 valid, 0 invalid.\n' +
        'two records have the same ArtistID + ItemID and different content: uploaded together, which of each pair ' +
        'the pipeline kept would be chance; keep the right one.\n' +
        '  a.json and b.ndjson:1: ArtistID "Knock2" + ItemID "TRACK#FeelULuvMe"\n' +
        'Checked 2 files: 2 valid, 0 invalid.\n',
    )
    const sameKey = [{first: 'a.json', second: 'b.ndjson:1', artistId: 'Knock2', itemId: 'TRACK#FeelULuvMe'}]
    // Through the fast path (bin/run.js) and through oclif (bin/dev.js) alike.
    for (const bin of [undefined, join(PROJECT_ROOT, 'bin/dev.js')]) {
      const json = await runCli(['validate', 'a.json', 'b.ndjson', '--json'], {cwd: pair, bin})
      expect(json.exitCode).toBe(1)
      expect(JSON.parse(json.stdout)).toMatchObject({status: 1, result: {summary: {invalid: 0}, sameKey}})
    }
  })

  it.each([
    [['validate', 'no-such-file.json'], /No such file or directory: no-such-file.json/],
    [['validate'], /No input given/],
    [['validate', 'no-match-*.json'], /No files match no-match-\*\.json/],
  ])('exits 2 on usage problems: %j', async (args, message) => {
    const run = await runCli(args, {cwd: dir})
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(message)
    const json = await runCli([...args, '--json'], {cwd: dir})
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 2,
      error: {code: 'UsageError', message: expect.stringMatching(message)},
    })
  })

  it('exits 2 on an unknown flag, as JSON too', async () => {
    const run = await runCli(['validate', '--bogus', 'x.json', '--json'])
    expect(run.exitCode).toBe(2)
    expect(JSON.parse(run.stdout)).toMatchObject({status: 2, error: {message: expect.stringMatching(/--bogus/)}})
  })

  it('prints the same through oclif as through the fast path', async () => {
    // bin/dev.js always goes through oclif; bin/run.js serves plain validate runs without it.
    const viaOclif = await runCli(['validate', 'examples', '--json'], {bin: join(PROJECT_ROOT, 'bin/dev.js')})
    const fast = await runCli(['validate', 'examples', '--json'])
    expect(fast.exitCode).toBe(1)
    expect(viaOclif.exitCode).toBe(1)
    expect(JSON.parse(fast.stdout)).toEqual(JSON.parse(viaOclif.stdout))
    const text = await runCli(['validate', 'examples'], {bin: join(PROJECT_ROOT, 'bin/dev.js')})
    expect((await runCli(['validate', 'examples'])).stdout).toBe(text.stdout)
    const version = await runCli(['--version'], {bin: join(PROJECT_ROOT, 'bin/dev.js')})
    expect((await runCli(['--version'])).stdout).toBe(version.stdout)
  })

  it('has help with examples', async () => {
    const run = await runCli(['validate', '--help'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('EXAMPLES')
    expect(run.stdout).toContain('eventpulse validate examples/')
  })

  it('classifies the shipped examples: valid/ all valid, invalid/ all invalid', async () => {
    expect((await runCli(['validate', 'examples/valid'])).exitCode).toBe(0)
    const invalid = JSON.parse((await runCli(['validate', 'examples/invalid', '--json'])).stdout)
    expect(invalid.result.summary.valid).toBe(0)
    expect(invalid.result.summary.invalid).toBeGreaterThan(0)
  })

  it('refuses the reserved ArtistID of selftest canaries with exit 1, saying why', async () => {
    writeFileSync(join(dir, 'canary.json'), '{"ArtistID":"eventpulse-selftest","ItemID":"TRACK#Mine"}')
    const run = await runCli(['validate', 'canary.json'], {cwd: dir})
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe(
      'canary.json:1:13  ArtistID "eventpulse-selftest" is reserved for the canary records of `eventpulse selftest` ' +
        '(accepted under selftest/ only); use another ArtistID [schema]\nChecked 1 file: 0 valid, 1 invalid.\n',
    )
  })
})
