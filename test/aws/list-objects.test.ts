import type {S3Client} from '@aws-sdk/client-s3'
import {describe, expect, it} from 'vitest'

import {findObject, listObjects, listObjectVersions} from '#aws/list-objects.js'

type Page = Record<string, unknown>

/** An S3 client that answers each request with the next page given, and keeps the requests' inputs. */
function fakeS3(pages: Array<Page | Error>) {
  const requests: Array<Record<string, unknown>> = []
  const commands: string[] = []
  const client = {
    async send(command: {input: Record<string, unknown>; constructor: {name: string}}) {
      requests.push({...command.input})
      commands.push(command.constructor.name)
      const page = pages.shift()
      if (page === undefined) throw new Error('no more pages were expected')
      if (page instanceof Error) throw page
      return page
    },
  }
  return {s3: client as unknown as S3Client, requests, commands}
}

const object = (key: string, extra: object = {}) => ({Key: key, Size: key.length, ...extra})

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

describe('listObjects', () => {
  it('asks for 1,000 keys a page under the prefix with ListObjects (v1), and maps each object', async () => {
    const modified = new Date('2024-06-01T10:00:00Z')
    const {s3, requests, commands} = fakeS3([
      {
        IsTruncated: false,
        Contents: [
          {Key: 'in/a.json', Size: 12, LastModified: modified, ETag: '"abc123"'},
          {Key: 'in/b.json', ETag: 'W/"def456"'},
          {Key: 'in/c.json', Size: 0},
        ],
      },
    ])
    expect(await all(listObjects(s3, 'ep-processing', {prefix: 'in/'}))).toEqual([
      {key: 'in/a.json', size: 12, lastModified: modified, etag: 'abc123'},
      {key: 'in/b.json', size: 0, lastModified: undefined, etag: 'def456'},
      {key: 'in/c.json', size: 0, lastModified: undefined, etag: undefined},
    ])
    expect(commands).toEqual(['ListObjectsCommand'])
    expect(requests).toEqual([{Bucket: 'ep-processing', Prefix: 'in/', Marker: undefined, MaxKeys: 1000}])
  })

  it('sends no prefix for an empty one, and skips entries without a key', async () => {
    const {s3, requests} = fakeS3([{IsTruncated: false, Contents: [{Size: 3}, object('a')]}])
    expect((await all(listObjects(s3, 'b', {prefix: ''}))).map((o) => o.key)).toEqual(['a'])
    expect(requests[0].Prefix).toBeUndefined()
  })

  it("pages on with the answer's NextMarker, until a page is not truncated", async () => {
    // With a delimiter S3 says where to go on (a common prefix, not a listed key): its word is taken.
    const {s3, requests} = fakeS3([
      {IsTruncated: true, NextMarker: 'b/', Contents: [object('a'), object('b')]},
      {IsTruncated: true, NextMarker: 'd/', Contents: [object('c'), object('d')]},
      {IsTruncated: false, Contents: [object('e')]},
    ])
    expect((await all(listObjects(s3, 'bucket'))).map((o) => o.key)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(requests.map((request) => request.Marker)).toEqual([undefined, 'b/', 'd/'])
  })

  it('pages on from the last key when S3 gives no NextMarker (as without a delimiter)', async () => {
    const {s3, requests} = fakeS3([
      {IsTruncated: true, Contents: [object('x/1'), object('x/2')]},
      {IsTruncated: false, Contents: [object('x/3')]},
    ])
    expect((await all(listObjects(s3, 'bucket', {prefix: 'x/'}))).map((o) => o.key)).toEqual(['x/1', 'x/2', 'x/3'])
    expect(requests.map((request) => request.Marker)).toEqual([undefined, 'x/2'])
    expect(requests.map((request) => request.Prefix)).toEqual(['x/', 'x/'])
  })

  it('stops at a truncated page that holds nothing (rather than asking the same page forever)', async () => {
    const {s3, requests} = fakeS3([{IsTruncated: true, Contents: []}])
    expect(await all(listObjects(s3, 'bucket'))).toEqual([])
    expect(requests).toHaveLength(1)
    const noContents = fakeS3([{IsTruncated: true}])
    expect(await all(listObjects(noContents.s3, 'bucket'))).toEqual([])
    expect(noContents.requests).toHaveLength(1)
  })

  it('stops at the limit within a page, asking for no more pages', async () => {
    const {s3, requests} = fakeS3([
      {IsTruncated: true, NextMarker: 'c', Contents: [object('a'), object('b'), object('c')]},
    ])
    expect((await all(listObjects(s3, 'bucket', {limit: 2}))).map((o) => o.key)).toEqual(['a', 'b'])
    expect(requests).toHaveLength(1)
  })

  it('stops at the limit across pages, and exactly at a page boundary', async () => {
    const across = fakeS3([
      {IsTruncated: true, NextMarker: 'b', Contents: [object('a'), object('b')]},
      {IsTruncated: true, NextMarker: 'd', Contents: [object('c'), object('d')]},
    ])
    expect((await all(listObjects(across.s3, 'bucket', {limit: 3}))).map((o) => o.key)).toEqual(['a', 'b', 'c'])
    expect(across.requests).toHaveLength(2)
    const boundary = fakeS3([{IsTruncated: true, NextMarker: 'b', Contents: [object('a'), object('b')]}])
    expect((await all(listObjects(boundary.s3, 'bucket', {limit: 2}))).map((o) => o.key)).toEqual(['a', 'b'])
    expect(boundary.requests).toHaveLength(1)
  })

  it('without a limit, lists every page however many keys', async () => {
    const keys = Array.from({length: 1003}, (_, index) => `k${String(index).padStart(4, '0')}`)
    const {s3, requests} = fakeS3([
      {IsTruncated: true, Contents: keys.slice(0, 1000).map((key) => object(key))},
      {IsTruncated: false, Contents: keys.slice(1000).map((key) => object(key))},
    ])
    expect((await all(listObjects(s3, 'bucket'))).map((o) => o.key)).toEqual(keys)
    expect(requests.map((request) => request.Marker)).toEqual([undefined, 'k0999'])
  })

  it('a limit of 0 asks for nothing', async () => {
    const {s3, requests} = fakeS3([])
    expect(await all(listObjects(s3, 'bucket', {limit: 0}))).toEqual([])
    expect(requests).toHaveLength(0)
  })

  it('entries without a key do not count towards the limit', async () => {
    const {s3} = fakeS3([{IsTruncated: false, Contents: [{Size: 1}, object('a'), {Size: 2}, object('b')]}])
    expect((await all(listObjects(s3, 'bucket', {limit: 2}))).map((o) => o.key)).toEqual(['a', 'b'])
  })

  it('passes on what S3 refuses', async () => {
    const denied = Object.assign(new Error('Access Denied'), {name: 'AccessDenied'})
    const {s3} = fakeS3([denied])
    await expect(all(listObjects(s3, 'bucket'))).rejects.toBe(denied)
  })
})

describe('findObject', () => {
  it('finds the object under exactly the key, with one request for one key under it as prefix', async () => {
    const {s3, requests} = fakeS3([
      {IsTruncated: true, NextMarker: 'a.json', Contents: [object('a.json', {ETag: '"e1"'})]},
    ])
    expect(await findObject(s3, 'bucket', 'a.json')).toEqual({
      key: 'a.json',
      size: 6,
      lastModified: undefined,
      etag: 'e1',
    })
    expect(requests).toEqual([{Bucket: 'bucket', Prefix: 'a.json', Marker: undefined, MaxKeys: 1000}])
  })

  it('is undefined when only longer keys start with it, or nothing does', async () => {
    const longer = fakeS3([{IsTruncated: false, Contents: [object('a.json.bak')]}])
    expect(await findObject(longer.s3, 'bucket', 'a.json')).toBeUndefined()
    const none = fakeS3([{IsTruncated: false, Contents: []}])
    expect(await findObject(none.s3, 'bucket', 'a.json')).toBeUndefined()
  })
})

describe('listObjectVersions', () => {
  const unsupported = (name: string, status: number) =>
    Object.assign(new Error('not implemented'), {name, $metadata: {httpStatusCode: status}})

  it('yields each page: versions then delete markers, with their ids and which is current', async () => {
    const {s3, requests, commands} = fakeS3([
      {
        IsTruncated: false,
        Versions: [
          {Key: 'q/a', VersionId: 'v2', IsLatest: true},
          {Key: 'q/a', VersionId: 'v1', IsLatest: false},
          {Key: 'q/b', VersionId: 'v3'},
        ],
        DeleteMarkers: [{Key: 'q/c', VersionId: 'm1', IsLatest: true}],
      },
    ])
    expect(await all(listObjectVersions(s3, 'ep-quarantine', 'q/'))).toEqual([
      [
        {key: 'q/a', versionId: 'v2', isLatest: true, deleteMarker: false},
        {key: 'q/a', versionId: 'v1', isLatest: false, deleteMarker: false},
        {key: 'q/b', versionId: 'v3', isLatest: false, deleteMarker: false},
        {key: 'q/c', versionId: 'm1', isLatest: true, deleteMarker: true},
      ],
    ])
    expect(commands).toEqual(['ListObjectVersionsCommand'])
    expect(requests).toEqual([
      {Bucket: 'ep-quarantine', Prefix: 'q/', KeyMarker: undefined, VersionIdMarker: undefined},
    ])
  })

  it('leaves out entries without a key or a version id, and yields an empty page as empty', async () => {
    const {s3} = fakeS3([
      {
        IsTruncated: false,
        Versions: [{Key: 'a'}, {VersionId: 'v'}, {Key: 'b', VersionId: 'v9', IsLatest: true}],
        DeleteMarkers: [{Key: 'c'}, {VersionId: 'm'}],
      },
    ])
    expect(await all(listObjectVersions(s3, 'bucket', ''))).toEqual([
      [{key: 'b', versionId: 'v9', isLatest: true, deleteMarker: false}],
    ])
    const empty = fakeS3([{IsTruncated: false}])
    expect(await all(listObjectVersions(empty.s3, 'bucket', 'x'))).toEqual([[]])
  })

  it('pages on with the key and version-id markers while the answer is truncated', async () => {
    const {s3, requests} = fakeS3([
      {IsTruncated: true, NextKeyMarker: 'a', NextVersionIdMarker: 'v1', Versions: [{Key: 'a', VersionId: 'v1'}]},
      {IsTruncated: true, NextKeyMarker: 'b', NextVersionIdMarker: 'v2', DeleteMarkers: [{Key: 'b', VersionId: 'v2'}]},
      {IsTruncated: false, NextKeyMarker: 'ignored', Versions: [{Key: 'c', VersionId: 'v3'}]},
    ])
    const pages = await all(listObjectVersions(s3, 'bucket', 'p/'))
    expect(pages.map((page) => page.map((version) => version.versionId))).toEqual([['v1'], ['v2'], ['v3']])
    expect(requests.map(({KeyMarker, VersionIdMarker}) => [KeyMarker, VersionIdMarker])).toEqual([
      [undefined, undefined],
      ['a', 'v1'],
      ['b', 'v2'],
    ])
    expect(requests.every((request) => request.Prefix === 'p/')).toBe(true)
  })

  it('stops when a truncated answer gives no next key marker', async () => {
    const {s3, requests} = fakeS3([{IsTruncated: true, Versions: [{Key: 'a', VersionId: 'v1'}]}])
    expect(await all(listObjectVersions(s3, 'bucket', ''))).toHaveLength(1)
    expect(requests).toHaveLength(1)
  })

  it.each([
    ['NotImplemented', 501],
    ['MethodNotAllowed', 405],
    ['SomethingElse', 501],
  ])('yields nothing where the S3 keeps no versions (%s, %i)', async (name, status) => {
    const {s3} = fakeS3([unsupported(name, status)])
    expect(await all(listObjectVersions(s3, 'bucket', ''))).toEqual([])
  })

  it('passes on any other error', async () => {
    const denied = Object.assign(new Error('Access Denied'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}})
    const {s3} = fakeS3([denied])
    await expect(all(listObjectVersions(s3, 'bucket', ''))).rejects.toBe(denied)
  })
})
