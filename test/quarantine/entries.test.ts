import {
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodeMetadataValue, QUARANTINE_METADATA, QUARANTINE_TAGS} from '#contract/pipeline-contract.js'
import {entriesOf, listEntries, resolveEntryArguments, taggedEntriesOf} from '#quarantine/entries.js'
import {BUCKETS, startEmulators, type Emulators} from '../cli/helpers/emulators.js'
import {s3Before, s3FailingOn} from '../processor/helpers.js'
import {entryAt as entryAtOn, id, keysOf, localTarget, putInQuarantine} from './helpers/entries.js'

// Which entries `quarantine list`, `show`, `rm`, `release` and `status` find, on the local S3. Each test writes its
// entries under a prefix of its own.

let e: Emulators

beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

const target = (s3: S3Client = e.s3, concurrency = 4) => localTarget(s3, concurrency)
const put = (key: string, options: Parameters<typeof putInQuarantine>[2] = {}) => putInQuarantine(e.s3, key, options)
const entryAt = (key: string, at: string, extra: Record<string, string> = {}) => entryAtOn(e.s3, key, at, extra)
const lastModified = async (key: string) =>
  (await e.s3.send(new HeadObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))).LastModified!.toISOString()
const remove = (key: string) => e.s3.send(new DeleteObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))

describe('quarantine list', () => {
  it('lists the entries under a prefix in key order, with what each records, and leaves stray objects out', async () => {
    await put(`ls/b.json/${id(1)}`, {
      body: '{"ArtistID": 1}',
      metadata: {
        [QUARANTINE_METADATA.reason]: 'schema',
        [QUARANTINE_METADATA.message]: encodeMetadataValue('Title: "déjà vu" is too long'),
        [QUARANTINE_METADATA.sourceEtag]: 'etag-b',
        [QUARANTINE_METADATA.quarantinedAt]: '2024-06-01T10:00:00.000Z',
        [QUARANTINE_METADATA.sourceLine]: '3',
      },
    })
    await put(`ls/a.json/${id(2)}`, {
      body: '{',
      metadata: {[QUARANTINE_METADATA.reason]: 'invalid-json', [QUARANTINE_METADATA.quarantinedAt]: '2024-06-02'},
    })
    // No metadata (written by hand, say): still an entry, quarantined when it was written.
    await put(`ls/c.json/${id(3)}`, {body: 'abc'})
    await put('ls/a.json/notes.txt')
    await put('ls/loose.json')
    await put('lsx/a.json/' + id(4))

    const {entries, total} = await listEntries(target(), {prefix: 'ls/'})
    expect(entries).toEqual([
      {
        key: `ls/a.json/${id(2)}`,
        sourceKey: 'ls/a.json',
        entryId: id(2),
        size: 1,
        quarantinedAt: '2024-06-02',
        reason: 'invalid-json',
      },
      {
        key: `ls/b.json/${id(1)}`,
        sourceKey: 'ls/b.json',
        entryId: id(1),
        size: 15,
        quarantinedAt: '2024-06-01T10:00:00.000Z',
        reason: 'schema',
        message: 'Title: "déjà vu" is too long',
        sourceEtag: 'etag-b',
        line: 3,
      },
      {
        key: `ls/c.json/${id(3)}`,
        sourceKey: 'ls/c.json',
        entryId: id(3),
        size: 3,
        quarantinedAt: await lastModified(`ls/c.json/${id(3)}`),
      },
    ])
    expect(entries.map((entry) => 'line' in entry)).toEqual([false, true, false])
    expect(total).toBe(3)
  })

  it('shows only the first entries up to the limit, and counts them all', async () => {
    for (const n of [3, 1, 2]) await entryAt(`lim/k${n}.json/${id(n)}`, '2024-06-01')
    const {entries, total} = await listEntries(target(), {prefix: 'lim/', limit: 2})
    expect(keysOf(entries)).toEqual([`lim/k1.json/${id(1)}`, `lim/k2.json/${id(2)}`])
    expect(total).toBe(3)
  })

  it('leaves out an entry deleted while the list is read, rather than failing', async () => {
    await entryAt(`gone/a.json/${id(1)}`, '2024-06-01')
    await entryAt(`gone/b.json/${id(2)}`, '2024-06-01')
    let removed = false
    const s3 = s3Before(e.s3, 'HeadObjectCommand', async () => {
      if (!removed) await remove(`gone/a.json/${id(1)}`)
      removed = true
    })
    const {entries, total} = await listEntries(target(s3, 1), {prefix: 'gone/'})
    expect(keysOf(entries)).toEqual([`gone/b.json/${id(2)}`])
    expect(total).toBe(2)
  })

  it('fails when an entry cannot be read, rather than listing it as missing', async () => {
    await entryAt(`fail/a.json/${id(1)}`, '2024-06-01')
    const s3 = s3FailingOn(e.s3, 'HeadObjectCommand', () => true)
    await expect(listEntries(target(s3), {prefix: 'fail/'})).rejects.toMatchObject({name: 'InternalError'})
  })
})

describe('the entries of a source key', () => {
  it('are every entry of exactly that key, newest first', async () => {
    await entryAt(`of/a.json/${id(1)}`, '2024-06-01T10:00:00.000Z')
    await entryAt(`of/a.json/${id(2)}`, '2024-06-03T10:00:00.000Z')
    await entryAt(`of/a.json/${id(3)}`, '2024-06-02T10:00:00.000Z')
    // Other source keys that start with it.
    await entryAt(`of/a.json/sub/${id(4)}`, '2024-06-04')
    await entryAt(`of/a.json.bak/${id(5)}`, '2024-06-04')
    const entries = await entriesOf(target(), 'of/a.json')
    expect(keysOf(entries)).toEqual([`of/a.json/${id(2)}`, `of/a.json/${id(3)}`, `of/a.json/${id(1)}`])
  })
})

describe('command arguments', () => {
  it('an entry key names that entry; a source key all its entries, newest first; an unknown key nothing', async () => {
    await entryAt(`arg/a.json/${id(1)}`, '2024-06-01')
    await entryAt(`arg/a.json/${id(2)}`, '2024-06-02')
    await entryAt(`arg/a.json/sub/${id(3)}`, '2024-06-03')
    const resolved = await resolveEntryArguments(target(), [
      `arg/a.json/${id(1)}`,
      'arg/a.json',
      'arg/none.json',
      `arg/a.json/${id(9)}`,
    ])
    expect(resolved.map(({argument, entries}) => [argument, keysOf(entries)])).toEqual([
      [`arg/a.json/${id(1)}`, [`arg/a.json/${id(1)}`]],
      ['arg/a.json', [`arg/a.json/${id(2)}`, `arg/a.json/${id(1)}`]],
      ['arg/none.json', []],
      [`arg/a.json/${id(9)}`, []],
    ])
    expect(resolved[1].entries[0]).toMatchObject({
      sourceKey: 'arg/a.json',
      reason: 'schema',
      quarantinedAt: '2024-06-02',
    })
  })

  it('a source key shaped like an entry key, with no such entry, names the entries of that source key', async () => {
    const odd = `odd/${id(7)}`
    await entryAt(`${odd}/${id(8)}`, '2024-06-01')
    const [resolved] = await resolveEntryArguments(target(), [odd])
    expect(keysOf(resolved.entries)).toEqual([`${odd}/${id(8)}`])
  })

  it('with a line, names only the entries of that line of a batch object', async () => {
    await entryAt(`line/batch.ndjson/${id(1)}`, '2024-06-01', {[QUARANTINE_METADATA.sourceLine]: '2'})
    await entryAt(`line/batch.ndjson/${id(2)}`, '2024-06-01', {[QUARANTINE_METADATA.sourceLine]: '4'})
    const keys = async (line: number) =>
      keysOf((await resolveEntryArguments(target(), ['line/batch.ndjson'], {line}))[0].entries)
    expect(await keys(4)).toEqual([`line/batch.ndjson/${id(2)}`])
    // Without a line: every record's entry.
    const [all] = await resolveEntryArguments(target(), ['line/batch.ndjson'])
    expect(keysOf(all.entries).sort()).toEqual([`line/batch.ndjson/${id(1)}`, `line/batch.ndjson/${id(2)}`])
    expect(await keys(7)).toEqual([])
  })

  it('does not name an entry deleted while the arguments are resolved (nothing left to act on)', async () => {
    await entryAt(`vanish/a.json/${id(1)}`, '2024-06-01')
    const s3 = s3Before(e.s3, 'HeadObjectCommand', () => remove(`vanish/a.json/${id(1)}`))
    expect(await resolveEntryArguments(target(s3), ['vanish/a.json'])).toEqual([
      {argument: 'vanish/a.json', entries: []},
    ])
  })

  it('reads each entry once, however many arguments name it', async () => {
    await entryAt(`once/a.json/${id(1)}`, '2024-06-01')
    let heads = 0
    const s3 = s3Before(e.s3, 'HeadObjectCommand', () => {
      heads++
    })
    const resolved = await resolveEntryArguments(target(s3), ['once/a.json', `once/a.json/${id(1)}`])
    expect(resolved.map((r) => keysOf(r.entries))).toEqual([[`once/a.json/${id(1)}`], [`once/a.json/${id(1)}`]])
    expect(heads).toBe(1)
  })
})

describe('finding the entries of one key', () => {
  it("lists only that key's part of the quarantine, however many other entries it holds", async () => {
    await entryAt(`scope/a.json/${id(1)}`, '2024-06-01')
    for (const n of [2, 3]) await entryAt(`scope/b${n}.json/${id(n)}`, '2024-06-01')
    const listed: string[] = []
    const s3 = Object.create(e.s3, {
      send: {
        async value(command: {constructor: {name: string}}) {
          const answer = await e.s3.send(command as never)
          if (command.constructor.name === 'ListObjectsCommand')
            listed.push(...((answer as {Contents?: {Key: string}[]}).Contents ?? []).map((object) => object.Key))
          return answer
        },
      },
    })
    expect(keysOf(await entriesOf(target(s3), 'scope/a.json'))).toEqual([`scope/a.json/${id(1)}`])
    await resolveEntryArguments(target(s3), ['scope/a.json', `scope/a.json/${id(1)}`])
    expect(keysOf(await taggedEntriesOf(target(s3), 'scope/a.json'))).toEqual([`scope/a.json/${id(1)}`])
    expect(new Set(listed)).toEqual(new Set([`scope/a.json/${id(1)}`]))
  })
})

describe('the entries of a key as the uploader sees them (status, upload --wait)', () => {
  it('come from the listing and tags alone, exactly that key, newest first', async () => {
    await put(`tag/a.json/${id(1)}`, {tags: {reason: 'schema', etag: 'etag-1', at: '2024-06-01T10:00:00.000Z'}})
    await put(`tag/a.json/${id(2)}`, {tags: {reason: 'duplicate', etag: 'etag-2', at: '2024-06-02T10:00:00.000Z'}})
    await put(`tag/a.json/${id(5)}`, {tags: {reason: 'schema', etag: 'etag-5', at: '2024-05-31T10:00:00.000Z'}})
    await put(`tag/a.json/sub/${id(3)}`, {tags: {reason: 'schema', etag: 'etag-3', at: '2024-06-03'}})
    await put('tag/a.json/notes.txt')
    // Reading an entry's content or metadata needs rights the uploader does not have.
    const s3 = s3Before(s3Before(e.s3, 'GetObjectCommand', refuse), 'HeadObjectCommand', refuse)
    expect(await taggedEntriesOf(target(s3), 'tag/a.json')).toEqual([
      {
        key: `tag/a.json/${id(2)}`,
        quarantinedAt: '2024-06-02T10:00:00.000Z',
        reason: 'duplicate',
        sourceEtag: 'etag-2',
      },
      {key: `tag/a.json/${id(1)}`, quarantinedAt: '2024-06-01T10:00:00.000Z', reason: 'schema', sourceEtag: 'etag-1'},
      {key: `tag/a.json/${id(5)}`, quarantinedAt: '2024-05-31T10:00:00.000Z', reason: 'schema', sourceEtag: 'etag-5'},
    ])
  })

  it('are dated by the listing when an entry has no tags', async () => {
    await put(`untagged/a.json/${id(1)}`)
    expect(await taggedEntriesOf(target(), 'untagged/a.json')).toEqual([
      {key: `untagged/a.json/${id(1)}`, quarantinedAt: await lastModified(`untagged/a.json/${id(1)}`)},
    ])
  })

  it('leave out an entry deleted while they are read, and fail when tags cannot be read', async () => {
    await put(`tgone/a.json/${id(1)}`, {tags: {reason: 'schema', etag: 'etag-1', at: '2024-06-01'}})
    await put(`tgone/a.json/${id(2)}`, {tags: {reason: 'schema', etag: 'etag-2', at: '2024-06-02'}})
    let removed = false
    const s3 = s3Before(e.s3, 'GetObjectTaggingCommand', async () => {
      if (!removed) await remove(`tgone/a.json/${id(1)}`)
      removed = true
    })
    expect(keysOf(await taggedEntriesOf(target(s3), 'tgone/a.json'))).toEqual([`tgone/a.json/${id(2)}`])
    const failing = s3FailingOn(e.s3, 'GetObjectTaggingCommand', () => true)
    await expect(taggedEntriesOf(target(failing), 'tgone/a.json')).rejects.toMatchObject({name: 'InternalError'})
  })
})

describe('entries with no time recorded (an S3-compatible server that sends no Last-Modified)', () => {
  it('are listed after the dated ones, rather than failing', async () => {
    const client = new S3Client({region: 'us-east-1'})
    const s3 = mockClient(client)
    const [older, undated, newer] = [1, 2, 3].map((n) => `nodate/a.json/${id(n)}`)
    const times: Record<string, string> = {[older]: '2024-06-01', [newer]: '2024-06-02'}
    s3.on(ListObjectsCommand).resolves({Contents: [{Key: older}, {Key: undated}, {Key: newer}]})
    for (const key of [older, undated, newer]) {
      const at = times[key] === undefined ? {} : {[QUARANTINE_METADATA.quarantinedAt]: times[key]}
      s3.on(HeadObjectCommand, {Key: key}).resolves({Metadata: at, ContentLength: 2})
      const tags = times[key] === undefined ? [] : [{Key: QUARANTINE_TAGS.quarantinedAt, Value: times[key]}]
      s3.on(GetObjectTaggingCommand, {Key: key}).resolves({TagSet: tags})
    }
    expect(keysOf(await entriesOf(target(client), 'nodate/a.json'))).toEqual([newer, older, undated])
    expect((await taggedEntriesOf(target(client), 'nodate/a.json')).map((entry) => entry.quarantinedAt)).toEqual([
      '2024-06-02',
      '2024-06-01',
      undefined,
    ])
  })
})

function refuse(): never {
  throw Object.assign(new Error('Access Denied'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}})
}
