import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import {purgeEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {purged, versionedTarget} from './helpers/versioned-target.js'

// Purging on a versioned bucket, at the SDK boundary (the local S3 keeps no versions).

const s3 = mockClient(S3Client)
const client = new S3Client({region: 'eu-west-1'})
const entry = purged

beforeEach(() => s3.reset())

describe('quarantine rm --purge', () => {
  it('deletes the entry, then every version and delete marker of exactly that key, page by page', async () => {
    s3.on(DeleteObjectCommand).resolves({DeleteMarker: true, VersionId: 'marker-1'})
    s3.on(ListObjectVersionsCommand, {KeyMarker: undefined})
      .resolves({
        IsTruncated: true,
        NextKeyMarker: entry.key,
        NextVersionIdMarker: 'v2',
        Versions: [
          {Key: entry.key, VersionId: 'v1'},
          {Key: entry.key, VersionId: 'v2'},
        ],
        DeleteMarkers: [{Key: entry.key, VersionId: 'marker-1'}],
      })
      .on(ListObjectVersionsCommand, {KeyMarker: entry.key, VersionIdMarker: 'v2'})
      .resolves({
        IsTruncated: false,
        Versions: [
          {Key: entry.key, VersionId: 'v3'},
          {Key: `${entry.key}/other`, VersionId: 'x'},
        ],
      })
    s3.on(DeleteObjectsCommand).resolves({})
    await purgeEntry(client, 'quarantine', entry)

    expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({Bucket: 'quarantine', Key: entry.key})
    const deleted = s3.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete!.Objects!)
    expect(deleted).toEqual([
      {Key: entry.key, VersionId: 'v1'},
      {Key: entry.key, VersionId: 'v2'},
      {Key: entry.key, VersionId: 'marker-1'},
      {Key: entry.key, VersionId: 'v3'},
    ])
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2)
  })

  it('sends no deletion for a page holding only other keys (S3 rejects an empty one)', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    s3.on(ListObjectVersionsCommand).resolves({Versions: [{Key: `${entry.key}/other`, VersionId: 'x'}]})
    s3.on(DeleteObjectsCommand).rejects(Object.assign(new Error('MalformedXML'), {name: 'MalformedXML'}))
    await purgeEntry(client, 'quarantine', entry)
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0)
  })

  it('fails when the versions cannot be listed, rather than leaving them behind unsaid', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    s3.on(ListObjectVersionsCommand).rejects(
      Object.assign(new Error('Access Denied'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}}),
    )
    await expect(purgeEntry(client, 'quarantine', entry)).rejects.toMatchObject({name: 'AccessDenied'})
  })

  it('fails, naming the version, when S3 refuses to delete one', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    s3.on(ListObjectVersionsCommand).resolves({Versions: [{Key: entry.key, VersionId: 'v1'}]})
    s3.on(DeleteObjectsCommand).resolves({Errors: [{Key: entry.key, VersionId: 'v1', Code: 'AccessDenied'}]})
    await expect(purgeEntry(client, 'quarantine', entry)).rejects.toThrow(
      /v1 of a\.json\/q-0123456789abcdef: AccessDenied/,
    )
  })

  it('names the versions left when S3 refuses some without naming them', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        {Key: entry.key, VersionId: 'v1'},
        {Key: entry.key, VersionId: 'v2'},
      ],
    })
    s3.on(DeleteObjectsCommand).resolves({
      Deleted: [{Key: entry.key, VersionId: 'v1'}],
      Errors: [{Code: 'AccessDenied'}],
    })
    await expect(purgeEntry(client, 'quarantine', entry)).rejects.toThrow(
      'could not delete version v2 of a.json/q-0123456789abcdef: AccessDenied',
    )
  })

  it('finds an entry a purge cut short (deleted, older versions left) by its source key, so that a second run finishes it', async () => {
    const target = versionedTarget(client)
    // The current version is a delete marker: the plain listing shows nothing.
    s3.on(ListObjectsCommand).resolves({Contents: []})
    s3.on(ListObjectVersionsCommand).resolves({
      DeleteMarkers: [{Key: entry.key, VersionId: 'marker-1', IsLatest: true}],
      Versions: [
        {Key: entry.key, VersionId: 'v2', IsLatest: false},
        {Key: entry.key, VersionId: 'v1', IsLatest: false},
        // Another source key's entry, still current: not named by a.json.
        {Key: 'a.json.bak/q-00000000000000aa', VersionId: 'x', IsLatest: true},
      ],
    })
    s3.on(HeadObjectCommand, {Bucket: 'quarantine', Key: entry.key, VersionId: 'v2'}).resolves({
      ContentLength: 7,
      Metadata: {'ep-reason': 'duplicate', 'ep-quarantined-at': '2026-12-01T10:00:00.000Z'},
    })

    const [plain] = await resolveEntryArguments(target, ['a.json'])
    expect(plain.entries).toEqual([])
    const [forPurge] = await resolveEntryArguments(target, ['a.json'], {deleted: true})
    expect(forPurge.entries).toEqual([
      {
        key: entry.key,
        sourceKey: 'a.json',
        entryId: 'q-0123456789abcdef',
        size: 7,
        quarantinedAt: '2026-12-01T10:00:00.000Z',
        reason: 'duplicate',
        deleted: true,
      },
    ])
    const [byEntryKey] = await resolveEntryArguments(target, [entry.key], {deleted: true})
    expect(byEntryKey.entries.map((found) => found.key)).toEqual([entry.key])
  })
})
