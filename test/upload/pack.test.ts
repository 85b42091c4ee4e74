import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {type Packing, packIntoBatches, removeBatchFiles} from '#upload/pack.js'
import {planUpload} from '#upload/plan.js'
import {removeDir} from '../processor/helpers.js'

// `upload DIR --batch N`: single-record files packed into NDJSON batch objects, each file traceable to its line.

const track = (n: number) => ({ArtistID: 'Packed', ItemID: `TRACK#${n}`, EntityType: 'Track', Duration: n})
const dir = mkdtempSync(join(tmpdir(), 'ep-pack-'))
const packings: Packing[] = []
afterAll(async () => {
  await removeDir(dir)
  for (const packing of packings) await removeBatchFiles(packing)
})

/** packIntoBatches, its batch files removed when the tests are done. */
async function pack(...args: Parameters<typeof packIntoBatches>): Promise<Packing> {
  const packing = await packIntoBatches(...args)
  packings.push(packing)
  return packing
}

/** A fresh directory holding the files, planned as `upload` plans them. */
async function planned(contents: Record<string, string>, prefix?: string) {
  const at = mkdtempSync(join(dir, 'files-'))
  for (const [name, body] of Object.entries(contents)) writeFileSync(join(at, name), body)
  return {at, planned: await planUpload([at], {prefix})}
}
const tracks = (...numbers: number[]) =>
  Object.fromEntries(numbers.map((n) => [`t${n}.json`, JSON.stringify(track(n), null, 2)]))
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n')

describe('packIntoBatches', () => {
  it('packs the files in order into batches of at most N records, one line each, and says where each went', async () => {
    const {at, planned: files} = await planned(tracks(1, 2, 3, 4, 5), 'packed')
    const packing = await pack(files, 2, {validate: true, prefix: 'packed'})
    expect(packing.invalid).toEqual([])
    expect(packing.batches).toHaveLength(3)
    const keys = packing.batches.map((batch) => batch.key)
    for (const key of keys) expect(key).toMatch(/^packed\/batch-[0-9a-f]{16}\.ndjson$/)
    expect(new Set(keys).size).toBe(3)
    expect(packing.packed).toEqual([
      {file: `${at}/t1.json`, key: keys[0], line: 1},
      {file: `${at}/t2.json`, key: keys[0], line: 2},
      {file: `${at}/t3.json`, key: keys[1], line: 1},
      {file: `${at}/t4.json`, key: keys[1], line: 2},
      {file: `${at}/t5.json`, key: keys[2], line: 1},
    ])
    // Each record on its own line (pretty-printed records made one line) naming its file, every line ended.
    const records = packing.batches.map((batch) => linesOf(batch.file.absolutePath!))
    expect(records).toEqual([
      [
        `{"ep_packed_file":"${at}/t1.json","record":${JSON.stringify(track(1), null, 2).replaceAll('\n', ' ')}}`,
        `{"ep_packed_file":"${at}/t2.json","record":${JSON.stringify(track(2), null, 2).replaceAll('\n', ' ')}}`,
        '',
      ],
      [expect.any(String), expect.any(String), ''],
      [expect.any(String), ''],
    ])
    expect(
      records
        .flat()
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([1, 2, 3, 4, 5].map((n) => ({ep_packed_file: `${at}/t${n}.json`, record: track(n)})))
    // Planned like any file: named by its key, shown by the files it holds.
    expect(packing.batches.map((batch) => [batch.file.relativePath, batch.file.displayPath])).toEqual([
      [keys[0].slice('packed/'.length), `${at}/t1.json … ${at}/t2.json (2 files)`],
      [keys[1].slice('packed/'.length), `${at}/t3.json … ${at}/t4.json (2 files)`],
      [keys[2].slice('packed/'.length), `${at}/t5.json`],
    ])
  })

  it('makes no empty batch when the files fill the last one exactly, and none at all for no files', async () => {
    const {planned: files} = await planned(tracks(1, 2, 3, 4))
    const packing = await pack(files, 2, {validate: true})
    expect(packing.batches.map((batch) => linesOf(batch.file.absolutePath!).length)).toEqual([3, 3])
    expect(packing.batches.every((batch) => /^batch-[0-9a-f]{16}\.ndjson$/.test(batch.key))).toBe(true)
    expect(await pack([], 2, {validate: true})).toMatchObject({batches: [], packed: [], invalid: []})
  })

  it('names a batch by its content: the same files give the same batches, other content another name', async () => {
    const {planned: files} = await planned(tracks(1, 2))
    const first = await pack(files, 10, {validate: true})
    const again = await pack(files, 10, {validate: true})
    expect(again.batches.map((batch) => batch.key)).toEqual(first.batches.map((batch) => batch.key))
    const {planned: other} = await planned(tracks(1, 3))
    const different = await pack(other, 10, {validate: true})
    expect(different.batches[0].key).not.toBe(first.batches[0].key)
  })

  it('shows a batch by its first and last files', async () => {
    const {at, planned: files} = await planned(tracks(1, 2, 3))
    const [batch] = (await pack(files, 3, {validate: true})).batches
    expect(batch.file.displayPath).toBe(`${at}/t1.json … ${at}/t3.json (3 files)`)
  })

  it('keeps the batch files private to the user', async () => {
    const {planned: files} = await planned(tracks(1))
    const [batch] = (await pack(files, 10, {validate: true})).batches
    expect(statSync(batch.file.absolutePath!).mode & 0o777).toBe(0o600)
  })

  it('leaves invalid records out when validating, reported with their key and reason; the rest stay in order', async () => {
    const {at, planned: files} = await planned({...tracks(1, 3), 't2.json': '{"ArtistID": "Packed"'}, 'p')
    const packing = await pack(files, 2, {validate: true, prefix: 'p'})
    expect(packing.invalid).toEqual([
      {
        file: `${at}/t2.json`,
        key: 'p/t2.json',
        size: 21,
        status: 'invalid',
        reason: 'invalid-json',
        errors: [expect.objectContaining({message: expect.any(String)})],
      },
    ])
    expect(packing.packed.map(({file, line}) => [file, line])).toEqual([
      [`${at}/t1.json`, 1],
      [`${at}/t3.json`, 2],
    ])
    expect(packing.batches).toHaveLength(1)
  })

  it('packs invalid records unvalidated (the pipeline quarantines them), but never a blank file, which would be lost', async () => {
    const {at, planned: files} = await planned({'a.json': '{"ArtistID": ', 'b.json': ' \n\t', 'c.json': 'not json'})
    const packing = await pack(files, 10, {validate: false})
    expect(packing.invalid.map(({file, reason}) => [file, reason])).toEqual([[`${at}/b.json`, 'invalid-json']])
    expect(linesOf(packing.batches[0].file.absolutePath!)).toEqual([
      `{"ep_packed_file":"${at}/a.json","record":{"ArtistID": }`,
      `{"ep_packed_file":"${at}/c.json","record":not json}`,
      '',
    ])
  })

  it('makes a carriage return inside a record a space too, keeping the record', async () => {
    const {planned: files} = await planned({'crlf.json': JSON.stringify(track(7), null, 2).replaceAll('\n', '\r\n')})
    const [batch] = (await pack(files, 10, {validate: true})).batches
    const [line, end] = linesOf(batch.file.absolutePath!)
    expect(line).not.toContain('\r')
    expect(JSON.parse(line).record).toEqual(track(7))
    expect(end).toBe('')
  })

  it('leaves nothing behind: removeBatchFiles removes the batch files, and a failed packing its own', async () => {
    const {planned: files} = await planned(tracks(1, 2, 3))
    const packing = await packIntoBatches(files, 2, {validate: true})
    const paths = packing.batches.map((batch) => batch.file.absolutePath!)
    expect(paths.map((path) => existsSync(path))).toEqual([true, true])
    await removeBatchFiles(packing)
    expect([...paths, packing.directory].filter((path) => existsSync(path))).toEqual([])

    const gone = {...files[0], file: {...files[0].file, absolutePath: join(dir, 'gone.json')}}
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('eventpulse-batch-'))
    await expect(packIntoBatches([files[0], gone], 1, {validate: true})).rejects.toThrow()
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('eventpulse-batch-'))).toEqual(before)
  })
})
