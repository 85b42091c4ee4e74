import {createHash} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BatchWriteItemCommand, type DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {DeleteObjectCommand, GetObjectCommand, PutObjectCommand} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {planUpload} from '#upload/plan.js'
import {uploadFiles} from '#upload/send.js'
import {removeDir, s3Before, startTestPipeline, type TestPipeline} from '../processor/helpers.js'
import {freshTarget as freshTargetOf} from './fresh-target.js'

// What `upload` sends, in-process against the local emulators: each file once, never over an object still waiting,
// records the table already holds skipped (unless forced), and at a failure every file still reported.

const track = (n: number, duration = 200) => ({ArtistID: 'Sender', ItemID: `TRACK#${n}`, Duration: duration})
const md5 = (text: string) => createHash('md5').update(text).digest('hex')

let t: TestPipeline
let dir: string

beforeAll(async () => {
  t = await startTestPipeline()
  dir = mkdtempSync(join(tmpdir(), 'ep-send-'))
})
afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
  await removeDir(dir)
})

const freshTarget = (options: {concurrency?: number} = {}) => freshTargetOf(t, options)

const files = (contents: Record<string, string>) => {
  const at = mkdtempSync(join(dir, 'files-'))
  for (const [name, body] of Object.entries(contents)) writeFileSync(join(at, name), body)
  return at
}

/** Sends the directory's files, counting the progress made. */
async function send(
  target: PipelineTarget,
  at: string,
  options: {validate?: boolean; force?: boolean; signal?: AbortSignal} = {},
) {
  let advanced = 0
  const result = await uploadFiles(target, await planUpload([at], {}), {
    validate: options.validate ?? true,
    force: options.force ?? false,
    signal: options.signal,
    progress: {advance: () => advanced++, done: () => {}},
  })
  return {...result, advanced}
}

const body = async (target: PipelineTarget, key: string) => {
  const object = await target.s3.send(new GetObjectCommand({Bucket: target.resources.processingBucket!, Key: key}))
  return object.Body!.transformToString()
}

/** Stores the records in the table as the pipeline would have. */
async function store(records: Record<string, unknown>[]) {
  const typed = (record: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(record).map(([name, value]) => [
        name,
        typeof value === 'number' ? {N: `${value}`} : {S: `${value}`},
      ]),
    )
  for (let start = 0; start < records.length; start += 25)
    await t.pipeline.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [t.pipeline.state.table]: records
            .slice(start, start + 25)
            .map((record) => ({PutRequest: {Item: typed(record)}})),
        },
      }),
    )
}

/** `dynamodb`, but a BatchGetItem that looks for `itemId` fails as a table in trouble would. */
function lookUpFailingFor(dynamodb: DynamoDBClient, itemId: string): DynamoDBClient {
  return Object.create(dynamodb, {
    send: {
      value: async (command: {constructor: {name: string}; input: unknown}) => {
        if (command.constructor.name === 'BatchGetItemCommand' && JSON.stringify(command.input).includes(`"${itemId}"`))
          throw Object.assign(new Error('injected'), {name: 'InternalServerError', $metadata: {httpStatusCode: 500}})
        return dynamodb.send(command as never)
      },
    },
  })
}

describe('uploadFiles', () => {
  it('sends each valid file under its key, with its ETag; invalid files are reported and not sent', async () => {
    const target = await freshTarget()
    const valid = JSON.stringify(track(1))
    const at = files({'a.json': valid, 'b.json': '{"ArtistID": 1}'})
    const result = await send(target, at)
    expect(result.failure).toBeUndefined()
    expect(result.files).toEqual([
      {file: `${at}/a.json`, key: 'a.json', size: valid.length, status: 'uploaded', etag: md5(valid)},
      {
        file: `${at}/b.json`,
        key: 'b.json',
        size: 15,
        status: 'invalid',
        reason: 'schema',
        errors: expect.arrayContaining([expect.objectContaining({path: '/ArtistID'})]),
      },
    ])
    expect(await t.keys(target.resources.processingBucket!)).toEqual(['a.json'])
    expect(await body(target, 'a.json')).toBe(valid)
    const {ContentType} = await target.s3.send(
      new GetObjectCommand({Bucket: target.resources.processingBucket!, Key: 'a.json'}),
    )
    expect(ContentType).toBe('application/json')
    expect(result.advanced).toBe(2)
  })

  it('sends invalid files too without validation (the pipeline quarantines them)', async () => {
    const target = await freshTarget()
    const result = await send(target, files({'b.json': '{"ArtistID": 1}'}), {validate: false})
    expect(result.files.map((file) => file.status)).toEqual(['uploaded'])
  })

  it('skips records the table holds exactly so, in every look-up window of 100; sends changed ones; --force sends all', async () => {
    const contents: Record<string, string> = {}
    for (let n = 0; n < 102; n++) contents[`t${String(n).padStart(3, '0')}.json`] = JSON.stringify(track(n), null, 2)
    // 0 (first window) and 101 (second) stored exactly so; 1 stored with another duration.
    await store([track(0), {...track(1), Duration: 999}, track(101)])
    const at = files(contents)

    const target = await freshTarget()
    const result = await send(target, at)
    expect(result.failure).toBeUndefined()
    const byKey = Object.fromEntries(result.files.map((file) => [file.key, file]))
    expect(byKey['t000.json']).toEqual({
      file: `${at}/t000.json`,
      key: 't000.json',
      size: contents['t000.json'].length,
      status: 'unchanged',
      item: {ArtistID: 'Sender', ItemID: 'TRACK#0'},
    })
    expect(byKey['t101.json']).toMatchObject({status: 'unchanged', item: {ArtistID: 'Sender', ItemID: 'TRACK#101'}})
    expect(byKey['t001.json'].status).toBe('uploaded')
    expect(result.files.filter((file) => file.status === 'uploaded')).toHaveLength(100)
    const sent = await t.keys(target.resources.processingBucket!)
    expect(sent).toHaveLength(100)
    expect(sent).not.toContain('t000.json')
    expect(sent).not.toContain('t101.json')
    expect(result.advanced).toBe(102)

    const forcedTarget = await freshTarget()
    const forced = await send(forcedTarget, at, {force: true})
    expect(forced.files.every((file) => file.status === 'uploaded')).toBe(true)
    expect(await t.keys(forcedTarget.resources.processingBucket!)).toHaveLength(102)
  })

  it('sends a stored record when the target has no table client to look it up with', async () => {
    await store([track(200)])
    const {dynamodb: _dynamodb, ...target} = await freshTarget()
    const result = await send(target, files({'stored.json': JSON.stringify(track(200))}))
    expect(result.files.map((file) => file.status)).toEqual(['uploaded'])
  })

  it('counts the same content still waiting under the key as sent, and refuses to replace other content', async () => {
    const target = await freshTarget()
    const first = JSON.stringify(track(300))
    await send(target, files({'w.json': first}))
    const again = await send(target, files({'w.json': first}))
    expect(again.files).toEqual([
      expect.objectContaining({status: 'uploaded', etag: md5(first), alreadyInFlight: true}),
    ])
    expect(again.advanced).toBe(1)
    const changed = await send(target, files({'w.json': JSON.stringify(track(300, 301))}))
    expect(changed.files).toEqual([
      expect.objectContaining({
        status: 'in-flight-conflict',
        error: {code: 'InFlight', message: expect.stringContaining('still in the processing bucket')},
      }),
    ])
    expect(changed.files[0].etag).toBeUndefined()
    expect(changed.failure).toBeUndefined()
    expect(changed.advanced).toBe(1)
    expect(await body(target, 'w.json')).toBe(first)
  })

  it('sends on a retry when the key was taken, then freed meanwhile (its object just processed)', async () => {
    const target = await freshTarget()
    const bucket = target.resources.processingBucket!
    await t.pipeline.s3.send(new PutObjectCommand({Bucket: bucket, Key: 'r.json', Body: Buffer.from('{}')}))
    let freed = false
    const s3 = s3Before(t.pipeline.s3, 'ListObjectsCommand', async () => {
      if (freed) return
      freed = true
      await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: 'r.json'}))
    })
    const record = JSON.stringify(track(400))
    const result = await send({...target, s3}, files({'r.json': record}))
    expect(result.files).toEqual([expect.objectContaining({status: 'uploaded', etag: md5(record)})])
    expect(result.files[0].alreadyInFlight).toBeUndefined()
    expect(await body(target, 'r.json')).toBe(record)
  })

  it('gives up after three tries when the key stays taken but is never seen waiting', async () => {
    const target = await freshTarget()
    let puts = 0
    const s3 = s3Before(t.pipeline.s3, 'PutObjectCommand', () => {
      puts++
      throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: {httpStatusCode: 412},
      })
    })
    const result = await send({...target, s3}, files({'x.json': JSON.stringify(track(500))}))
    expect(result.files).toEqual([expect.objectContaining({status: 'in-flight-conflict'})])
    expect(puts).toBe(3)
  })

  it('stops at the first failure: that file says why, the others are not attempted, and the failure comes beside', async () => {
    const target = await freshTarget({concurrency: 1})
    const at = files({'a.json': JSON.stringify(track(600)), 'b.json': JSON.stringify(track(601)), 'c.json': '{}'})
    const result = await send({...target, resources: {...target.resources, processingBucket: 'no-such-bucket'}}, at)
    expect(result.failure).toMatchObject({exitCode: 4, code: 'BucketNotFound'})
    expect(result.files).toEqual([
      {
        file: `${at}/a.json`,
        key: 'a.json',
        size: expect.any(Number),
        status: 'failed',
        error: {code: 'BucketNotFound', message: 'Bucket no-such-bucket does not exist.'},
      },
      {file: `${at}/b.json`, key: 'b.json', status: 'not-attempted'},
      {file: `${at}/c.json`, key: 'c.json', status: 'not-attempted'},
    ])
    expect(result.advanced).toBe(1)
  })

  it('reports a file whose sending failed as failed, never as a conflict to retry', async () => {
    const target = await freshTarget()
    const s3 = s3Before(t.pipeline.s3, 'PutObjectCommand', () => {
      throw Object.assign(new Error('We encountered an internal error'), {
        name: 'InternalError',
        $metadata: {httpStatusCode: 500},
      })
    })
    const result = await send({...target, s3}, files({'f.json': JSON.stringify(track(650))}))
    expect(result.files).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: {code: 'InternalError', message: 'We encountered an internal error'},
      }),
    ])
    expect(result.failure).toMatchObject({exitCode: 4, code: 'InternalError'})
  })

  it('sends nothing when the look-up fails, and says why', async () => {
    const target = await freshTarget()
    const result = await send(
      {...target, resources: {...target.resources, table: 'no-such-table'}},
      files({'a.json': JSON.stringify(track(700)), 'b.json': JSON.stringify(track(701))}),
    )
    expect(result.failure).toMatchObject({exitCode: 4, code: 'TableNotFound'})
    expect(result.files.map((file) => file.status)).toEqual(['not-attempted', 'not-attempted'])
    expect(await t.keys(target.resources.processingBucket!)).toEqual([])
  })

  it("sends the first window's files when the next window's look-up fails, and not those of the next", async () => {
    const contents: Record<string, string> = {}
    for (let n = 0; n < 101; n++) contents[`u${String(n).padStart(3, '0')}.json`] = JSON.stringify(track(800 + n))
    const target = await freshTarget({concurrency: 1})
    // The 101st record, TRACK#900, is the second window's.
    const result = await send(
      {...target, dynamodb: lookUpFailingFor(t.pipeline.dynamodb, 'TRACK#900')},
      files(contents),
    )
    expect(result.failure).toMatchObject({exitCode: 4, code: 'InternalServerError'})
    expect(result.files.slice(0, 100).every((file) => file.status === 'uploaded')).toBe(true)
    expect(result.files[100].status).toBe('not-attempted')
    expect(await t.keys(target.resources.processingBucket!)).toHaveLength(100)
  })

  it('starts nothing once interrupted (Ctrl-C): every file not attempted', async () => {
    const target = await freshTarget()
    const controller = new AbortController()
    controller.abort()
    const result = await send(target, files({'a.json': JSON.stringify(track(950))}), {signal: controller.signal})
    expect(result.files).toEqual([expect.objectContaining({key: 'a.json', status: 'not-attempted'})])
    expect(result.failure).toBeUndefined()
    expect(await t.keys(target.resources.processingBucket!)).toEqual([])
  })
})
