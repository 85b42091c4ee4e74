import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {clearDamaged, damagedLines, readDamaged} from '#local/damaged.js'
import {repairS3Files} from '#local/s3-files.js'
import {removeDir} from '../processor/helpers.js'
import {runCli} from '../helpers/run-cli.js'

// What a crash leaves half-written is set aside at the next start (s3-files.ts): `local status` shows it, and
// `local damaged` lists it and, with --clear, removes it after asking.

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

/** A local data directory whose S3 held `keys` half-written (content, no metadata), set aside as a start-up does. */
async function crashedDataDir(keys: string[]): Promise<{root: string; xdg: string}> {
  const xdg = await mkdtemp(join(tmpdir(), 'eventpulse-damaged-'))
  dirs.push(xdg)
  const root = join(xdg, 'eventpulse', 'local')
  for (const key of keys) {
    const file = join(root, 's3', 'ep-processing', `${key}._S3rver_object`)
    await mkdir(join(file, '..'), {recursive: true})
    await writeFile(file, '{"ArtistID": "half')
  }
  await repairS3Files(join(root, 's3'), join(root, 'damaged'))
  return {root, xdg}
}

describe('damaged objects (in-process)', () => {
  it('are listed with bucket, key, why and when; clearing removes what was listed', async () => {
    const before = Date.now()
    const {root} = await crashedDataDir(['crash/a.json', 'crash/b.json'])
    const damaged = await readDamaged(join(root, 'damaged'))
    expect(damaged.objects).toEqual([
      {
        bucket: 'ep-processing',
        key: 'crash/a.json',
        why: 'its metadata file is missing',
        setAsideAt: expect.any(String),
      },
      {
        bucket: 'ep-processing',
        key: 'crash/b.json',
        why: 'its metadata file is missing',
        setAsideAt: expect.any(String),
      },
    ])
    const at = Date.parse(damaged.objects[0].setAsideAt)
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000)
    expect(at).toBeLessThanOrEqual(Date.now())
    expect(damagedLines(damaged, {limit: 1})).toEqual([
      expect.stringMatching(/^ {2}Damaged: +2 half-written object\(s\) set aside by crashes \(.+\), in .+damaged$/),
      expect.stringMatching(/ep-processing\/crash\/a\.json: its metadata file is missing$/),
      '    … and 1 more: `eventpulse local damaged` lists them all',
    ])
    await clearDamaged(damaged)
    expect(existsSync(join(root, 'damaged'))).toBe(false)
    expect(await readDamaged(join(root, 'damaged'))).toMatchObject({objects: [], folders: []})
  })

  it('nothing damaged: nothing listed', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'eventpulse-damaged-'))
    dirs.push(xdg)
    expect(damagedLines(await readDamaged(join(xdg, 'nowhere')))).toEqual([])
  })
})

describe('eventpulse local status and local damaged (built CLI)', () => {
  it('status shows them; damaged lists them, refuses --clear without a terminal, and clears with --yes', async () => {
    const {root, xdg} = await crashedDataDir(['crash/half.json'])
    const env = {XDG_DATA_HOME: xdg}

    const status = await runCli(['local', 'status', '--json'], {env})
    expect(status.exitCode).toBe(1) // not running
    expect(JSON.parse(status.stdout).result.damaged).toEqual({
      count: 1,
      objects: [expect.objectContaining({bucket: 'ep-processing', key: 'crash/half.json'})],
    })
    const text = await runCli(['local', 'status'], {env})
    expect(text.stdout).toContain('Damaged:           1 half-written object(s) set aside by crashes')
    expect(text.stdout).toContain('ep-processing/crash/half.json: its metadata file is missing')

    const listed = await runCli(['local', 'damaged', '--json'], {env})
    expect(listed.exitCode).toBe(0)
    expect(JSON.parse(listed.stdout).result).toMatchObject({count: 1, cleared: false})

    const refused = await runCli(['local', 'damaged', '--clear'], {env})
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('no terminal')
    expect(await readdir(join(root, 'damaged'))).toHaveLength(1)

    const cleared = await runCli(['local', 'damaged', '--clear', '--yes', '--json'], {env})
    expect(cleared.exitCode).toBe(0)
    expect(JSON.parse(cleared.stdout).result).toMatchObject({count: 1, cleared: true})
    expect(existsSync(join(root, 'damaged'))).toBe(false)

    const none = await runCli(['local', 'damaged'], {env})
    expect(none.exitCode).toBe(0)
    expect(none.stdout).toContain('Nothing set aside')
    expect(JSON.parse((await runCli(['local', 'status', '--json'], {env})).stdout).result.damaged).toEqual({
      count: 0,
      objects: [],
    })
  })

  it('--help explains it, with examples', async () => {
    const help = await runCli(['local', 'damaged', '--help'])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toContain('--clear')
    expect(help.stdout).toContain('eventpulse local damaged --clear --yes --json')
  })
})
