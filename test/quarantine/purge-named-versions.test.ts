import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import {purgeEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {purged, versionedTarget} from './helpers/versioned-target.js'

// `quarantine rm --purge` on a versioned bucket, at the SDK boundary: the versions a refusal leaves are named in
// full, and the deleted entries a source key names are its own, each once.

const s3 = mockClient(S3Client)
const client = new S3Client({region: 'eu-west-1'})
const target = versionedTarget(client)
const entry = purged
const notFound = () => Object.assign(new Error('gone'), {name: 'NoSuchKey', $metadata: {httpStatusCode: 404}})

beforeEach(() => s3.reset())

describe('purging: the versions left', () => {
  it('names every version left and every reason S3 gives', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        {Key: entry.key, VersionId: 'v1'},
        {Key: entry.key, VersionId: 'v2'},
      ],
    })
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [
        {Key: entry.key, VersionId: 'v1', Code: 'AccessDenied'},
        {Key: entry.key, VersionId: 'v2', Code: 'InternalError'},
      ],
    })
    await expect(purgeEntry(client, 'quarantine', entry)).rejects.toMatchObject({
      message: 'could not delete versions v1, v2 of a.json/q-0123456789abcdef: AccessDenied, InternalError',
    })
  })
})

describe('deleted entries named for a purge', () => {
  it('are the source key’s own deleted entries, beside its current one, each once, newest first', async () => {
    s3.on(ListObjectsCommand).resolves({Contents: [{Key: 'a.json/q-0123456789abcdef'}]})
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        {Key: 'a.json/q-0123456789abcdef', VersionId: 'v3', IsLatest: true},
        {Key: 'a.json/q-0123456789abcdef', VersionId: 'v2', IsLatest: false},
        {Key: 'a.json/q-00000000000000de', VersionId: 'v1', IsLatest: false},
        {Key: 'a.json.bak/q-00000000000000aa', VersionId: 'v9', IsLatest: false},
      ],
      DeleteMarkers: [{Key: 'a.json/q-00000000000000de', VersionId: 'm1', IsLatest: true}],
    })
    s3.on(HeadObjectCommand).callsFake(({Key, VersionId}: HeadObjectCommandInput) => {
      if (Key === 'a.json/q-0123456789abcdef' && VersionId === undefined)
        return {ContentLength: 1, Metadata: {'ep-reason': 'schema', 'ep-quarantined-at': '2026-12-02T10:00:00.000Z'}}
      if (Key === 'a.json/q-00000000000000de' && VersionId === 'v1')
        return {ContentLength: 1, Metadata: {'ep-reason': 'schema', 'ep-quarantined-at': '2026-12-01T10:00:00.000Z'}}
      return {ContentLength: 1, Metadata: {}}
    })
    const [named] = await resolveEntryArguments(target, ['a.json'], {deleted: true})
    expect(named.entries).toEqual([
      {
        key: 'a.json/q-0123456789abcdef',
        sourceKey: 'a.json',
        entryId: 'q-0123456789abcdef',
        size: 1,
        quarantinedAt: '2026-12-02T10:00:00.000Z',
        reason: 'schema',
      },
      {
        key: 'a.json/q-00000000000000de',
        sourceKey: 'a.json',
        entryId: 'q-00000000000000de',
        size: 1,
        quarantinedAt: '2026-12-01T10:00:00.000Z',
        reason: 'schema',
        deleted: true,
      },
    ])
  })

  it('leave out a deleted entry whose newest version is gone by the time it is read', async () => {
    s3.on(ListObjectsCommand).resolves({Contents: []})
    s3.on(ListObjectVersionsCommand).resolves({
      DeleteMarkers: [{Key: entry.key, VersionId: 'marker-1', IsLatest: true}],
      Versions: [{Key: entry.key, VersionId: 'v2', IsLatest: false}],
    })
    s3.on(HeadObjectCommand).rejects(notFound())
    const [forPurge] = await resolveEntryArguments(target, ['a.json'], {deleted: true})
    expect(forPurge.entries).toEqual([])
  })
})
