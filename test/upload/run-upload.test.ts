import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {PutItemCommand} from '@aws-sdk/client-dynamodb'
import {CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, type S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {OUTCOMES_TABLE} from '#contract/table.js'
import {localTarget} from '#local/target.js'
import {planUpload} from '#upload/plan.js'
import {
  dryRun,
  keysUsedBeforeWarning,
  storedFromOtherKeysWarning,
  runUpload,
  sentAgainLine,
  summaryLine,
  unchangedLine,
  uploadExitStatus,
} from '#upload/run-upload.js'
import {removeDir, startTestPipeline, type TestPipeline} from '../processor/helpers.js'

// `upload` in-process against a local pipeline: what is sent, what is skipped, and what --wait reports.

const record = (title: string, duration = 200) =>
  JSON.stringify({ArtistID: 'Floating Points', ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: duration})
const silent = {advance: () => {}, done: () => {}}

let t: TestPipeline
let target: PipelineTarget
let dir: string

const files = (contents: Record<string, string | Buffer>) => {
  const at = mkdtempSync(join(dir, 'files-'))
  for (const [name, body] of Object.entries(contents)) writeFileSync(join(at, name), body)
  return at
}
const upload = async (
  path: string,
  options: {
    validate?: boolean
    wait?: boolean
    timeoutMs?: number
    force?: boolean
    prefix?: string
    signal?: AbortSignal
    to?: PipelineTarget
  } = {},
) =>
  runUpload(options.to ?? target, await planUpload([path], {prefix: options.prefix}), {
    validate: options.validate ?? true,
    force: options.force,
    progress: silent,
    signal: options.signal,
    wait: options.wait ? {timeoutMs: options.timeoutMs ?? 30_000, progress: () => silent} : undefined,
  })
let buckets = 0
/** The target with a fresh processing bucket that nothing processes: what is sent there stays in flight. */
const unprocessedTarget = async (): Promise<PipelineTarget> => {
  const bucket = `unprocessed-${++buckets}`
  await t.pipeline.s3.send(new CreateBucketCommand({Bucket: bucket}))
  return {...target, resources: {...target.resources, processingBucket: bucket}}
}

beforeAll(async () => {
  t = await startTestPipeline()
  target = localTarget(t.pipeline.state, {clients: {s3: t.pipeline.s3, dynamodb: t.pipeline.dynamodb}})
  dir = mkdtempSync(join(tmpdir(), 'ep-upload-'))
})
afterAll(async () => {
  await t.pipeline.stop()
  await removeDir(t.dataDir)
  await removeDir(dir)
})

describe('runUpload', () => {
  it('sends valid files under their keys, refuses invalid ones, and with wait reports each outcome', async () => {
    const at = files({'a.json': record('Silhouettes'), 'b.json': '{"ArtistID": 1}'})
    const result = await upload(at, {wait: true, prefix: 'run'})
    expect(result.summary).toEqual({
      files: 2,
      invalid: 1,
      uploaded: 1,
      unchanged: 0,
      failed: 0,
      notAttempted: 0,
      stored: 1,
      quarantined: 0,
      pending: 0,
    })
    expect(result.files).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: 'run/a.json',
          status: 'uploaded',
          outcome: expect.objectContaining({state: 'stored'}),
        }),
        expect.objectContaining({key: 'run/b.json', status: 'invalid', reason: 'schema'}),
      ]),
    )
    expect(uploadExitStatus(result)).toBe(1)
    expect(summaryLine(result)).toContain('2 files')
  })

  it('sends invalid files too without validation, and the pipeline quarantines them', async () => {
    const at = files({'broken.json': '{"ArtistID": '})
    const result = await upload(at, {validate: false, wait: true, prefix: 'novalidate'})
    expect(result.summary).toMatchObject({files: 1, invalid: 0, uploaded: 1, stored: 0, quarantined: 1})
    expect(result.files[0].outcome).toMatchObject({state: 'quarantined', reason: 'invalid-json'})
    expect(uploadExitStatus(result)).toBe(1)
  })

  it('skips a record already stored exactly so (unchanged, exit 0), unless forced', async () => {
    const at = files({'once.json': record('Nespole')})
    expect(uploadExitStatus(await upload(at, {wait: true, prefix: 'again'}))).toBe(0)
    const again = await upload(at, {prefix: 'again'})
    expect(again.summary).toMatchObject({uploaded: 0, unchanged: 1})
    expect(again.files[0].status).toBe('unchanged')
    expect(uploadExitStatus(again)).toBe(0)
    const forced = await upload(at, {prefix: 'again', force: true, wait: true})
    expect(forced.summary).toMatchObject({uploaded: 1, stored: 1})
  })

  it('does not replace an object still waiting under the same key', async () => {
    // The quarantine bucket stands in for a processing bucket whose processor is behind: nothing processes it.
    const waitingTarget = {
      ...target,
      resources: {...target.resources, processingBucket: t.pipeline.state.quarantineBucket},
    }
    await t.pipeline.s3.send(
      new PutObjectCommand({Bucket: t.pipeline.state.quarantineBucket, Key: 'busy/c.json', Body: record('Busy', 1)}),
    )
    const at = files({'c.json': record('Busy', 2)})
    const result = await runUpload(waitingTarget, await planUpload([at], {prefix: 'busy'}), {
      validate: true,
      progress: silent,
    })
    expect(result.files[0].status).toBe('in-flight-conflict')
    expect(result.summary.failed).toBe(1)
    // A conflict to retry, not a network failure.
    expect(uploadExitStatus(result)).toBe(1)
  })

  it('dry run checks every file and sends nothing', async () => {
    const at = files({'d.json': record('Dry'), 'e.json': '[]'})
    const result = await dryRun(await planUpload([at], {prefix: 'dry'}), {validate: true})
    expect(result.files).toEqual([
      {file: `${at}/d.json`, key: 'dry/d.json', size: record('Dry').length, status: 'would-upload'},
      {
        file: `${at}/e.json`,
        key: 'dry/e.json',
        size: 2,
        status: 'invalid',
        reason: 'schema',
        errors: expect.any(Array),
      },
    ])
    expect(summaryLine(result)).toBe('2 files, 1 would be uploaded, 1 invalid (not sent). Dry run: nothing was sent.')
    expect(uploadExitStatus(result)).toBe(1)
    expect(await t.keys(t.pipeline.state.processingBucket)).not.toContain('dry/d.json')
  })

  it('counts a batch file by its records: stored, unchanged and quarantined', async () => {
    const stored = JSON.stringify({ArtistID: 'Floating Points', ItemID: 'TRACK#Batched', EntityType: 'Track'})
    expect(uploadExitStatus(await upload(files({'first.json': stored}), {wait: true, prefix: 'batched'}))).toBe(0)
    const lines = [stored, record('Batched new'), '{"ArtistID": 7}'].join('\n')
    const result = await upload(files({'three.ndjson': `${lines}\n`}), {validate: false, wait: true, prefix: 'batched'})
    expect(result.summary).toMatchObject({files: 1, uploaded: 1, unchanged: 1, stored: 1, quarantined: 1, pending: 0})
    expect(result.files[0].outcome).toMatchObject({
      state: 'batch',
      counts: {records: 3, stored: 1, unchanged: 1, quarantined: 1},
    })
    expect(uploadExitStatus(result)).toBe(1)
  })

  it('with wait, times out on uploads nothing processes: still in flight, exit 4', async () => {
    const result = await upload(files({'late.json': record('Late')}), {
      wait: true,
      timeoutMs: 0,
      to: await unprocessedTarget(),
    })
    expect(result.timedOut).toBe(true)
    expect(result.summary).toMatchObject({uploaded: 1, stored: 0, quarantined: 0, pending: 1})
    expect(result.files[0].outcome).toMatchObject({key: 'late.json', state: 'in-flight'})
    expect(summaryLine(result)).toBe('1 file, 1 uploaded, 0 stored, 0 quarantined, 1 still in flight.')
    expect(uploadExitStatus(result)).toBe(4)
  })

  it('does not wait once interrupted (Ctrl-C), and sends nothing more', async () => {
    const controller = new AbortController()
    controller.abort()
    const result = await upload(files({'never.json': record('Never')}), {wait: true, signal: controller.signal})
    expect(result.files.map((file) => file.status)).toEqual(['not-attempted'])
    expect(result.summary).toMatchObject({files: 1, uploaded: 0, notAttempted: 1})
    expect(result.summary.stored).toBeUndefined()
    expect(result.timedOut).toBe(false)
  })

  it('keeps the outcomes learnt when the target fails while waiting, and says to check it and run again', async () => {
    const waitingTarget = await unprocessedTarget()
    const bucket = waitingTarget.resources.processingBucket!
    const settles = record('Settles')
    // b.json is found unchanged at the first poll (its object gone, its outcome recorded); a.json stays in flight, and
    // the target fails at the next poll.
    let aPolls = 0
    const s3: S3Client = Object.create(t.pipeline.s3, {
      send: {
        value: async (command: {constructor: {name: string}; input: {Bucket?: string; Prefix?: string}}) => {
          const listing = command.constructor.name === 'ListObjectsCommand' && command.input.Bucket === bucket
          if (listing && command.input.Prefix === 'b.json') {
            await t.pipeline.s3.send(new DeleteObjectCommand({Bucket: bucket, Key: 'b.json'}))
            await recordUnchanged('b.json', createHash('md5').update(settles).digest('hex'))
          }
          if (listing && command.input.Prefix === 'a.json' && ++aPolls > 1)
            throw Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})
          return t.pipeline.s3.send(command as never)
        },
      },
    })
    const result = await upload(files({'a.json': record('Stays'), 'b.json': settles}), {
      wait: true,
      to: {...waitingTarget, s3, concurrency: 1},
    })
    expect(result.files.map((file) => [file.key, file.status, file.outcome?.state])).toEqual([
      ['a.json', 'uploaded', 'in-flight'],
      ['b.json', 'uploaded', 'unchanged'],
    ])
    expect(result.failure).toEqual({
      exitCode: 4,
      code: 'InternalError',
      message: 'The upload stopped: injected',
      hint: 'Then run the same command again: records already stored are reported unchanged and not sent twice.',
    })
    expect(result.summary).toMatchObject({uploaded: 2, unchanged: 1, pending: 1})
    expect(uploadExitStatus(result)).toBe(4)
  })

  it('says, when it stops, what to check: the local pipeline, or what the failure itself suggests', async () => {
    const at = files({'a.json': record('Stopped')})
    const gone = {...target, resources: {...target.resources, processingBucket: 'no-such-bucket'}}
    const local = await upload(at, {to: {...gone, local: true}})
    expect(local.failure).toMatchObject({
      exitCode: 4,
      code: 'BucketNotFound',
      message: 'The upload stopped: Bucket no-such-bucket does not exist.',
      hint:
        'Check that the local pipeline is running: eventpulse local status (start it with: eventpulse local start).\n' +
        'Then run the same command again: records already stored are reported unchanged and not sent twice.',
    })
    expect(local.summary).toMatchObject({files: 1, uploaded: 0, failed: 1})
    expect(uploadExitStatus(local)).toBe(4)
    const remote = await upload(at, {to: gone})
    expect(remote.failure?.hint).toMatch(
      /^Check --stack, --region and --profile\..*\nThen run the same command again: /s,
    )
    expect(remote).toMatchObject({target: 'local pipeline', bucket: 'no-such-bucket', dryRun: false})
  })
})

describe('a batch file already stored exactly so', () => {
  const track = (n: number) => JSON.stringify({ArtistID: 'Bicep', ItemID: `TRACK#Glue ${n}`, EntityType: 'Track'})
  // 250 records: three look-up calls' worth, so that "every record stored" is not decided by the first call alone.
  const catalog = Array.from({length: 250}, (_, i) => track(i)).join('\n') + '\n'
  const notified = (key: string) => t.notifications.filter((n) => n.sourceKey === key).length

  it('is not sent again under the same key: unchanged, with the counts of the run that processed it, exit 0', async () => {
    const at = files({'catalog.ndjson': catalog})
    const first = await upload(at, {wait: true, prefix: 'same'})
    expect(first.summary).toMatchObject({uploaded: 1, stored: 250})
    await t.pipeline.idle()
    for (const run of [1, 2]) {
      const again = await upload(at, {wait: true, prefix: 'same'})
      expect(again.files[0], `run ${run}`).toMatchObject({
        status: 'unchanged',
        etag: createHash('md5').update(catalog).digest('hex'),
        processedAt: first.files[0].outcome!.at,
        counts: {records: 250, stored: 250, unchanged: 0, quarantined: 0},
      })
      expect(again.summary).toMatchObject({files: 1, uploaded: 0, unchanged: 250, stored: 0, quarantined: 0})
      expect(uploadExitStatus(again)).toBe(0)
    }
    await t.pipeline.idle()
    expect(notified('same/catalog.ndjson')).toBe(1)
  })

  it('is not sent under another key, gzipped or not, when every record is stored exactly so', async () => {
    await upload(files({'stored.ndjson': catalog}), {wait: true, prefix: 'first'})
    for (const [name, body] of [
      ['copy.ndjson', Buffer.from(catalog)],
      ['copy.ndjson.gz', gzipSync(catalog)],
    ] as const) {
      const result = await upload(files({[name]: body}), {prefix: 'other'})
      expect(result.files[0], name).toMatchObject({
        status: 'unchanged',
        counts: {records: 250, stored: 0, unchanged: 250, quarantined: 0},
      })
      expect(result.files[0].processedAt).toBeUndefined()
      expect(result.summary).toMatchObject({uploaded: 0, unchanged: 250})
      expect(unchangedLine(result.files[0])).toBe(
        `unchanged    other/${name}  (all 250 records already stored exactly so; not sent)`,
      )
    }
    await t.pipeline.idle()
    expect(notified('other/copy.ndjson') + notified('other/copy.ndjson.gz')).toBe(0)
  })

  it("is sent when one record differs (the last one, past the first look-ups) or is new, and with --force (its outcome then said to be the earlier run's)", async () => {
    // Stored already by the first test; here too when run alone.
    await upload(files({'catalog.ndjson': catalog}), {wait: true, prefix: 'same'})
    const lines = catalog.trimEnd().split('\n')
    const changed = [...lines.slice(0, -1), JSON.stringify({...JSON.parse(lines.at(-1)!), Duration: 1})].join('\n')
    const added = `${catalog}${track(999)}\n`
    const result = await upload(files({'changed.ndjson': changed, 'added.ndjson': added}), {
      wait: true,
      prefix: 'differs',
    })
    expect(result.files.map((file) => [file.key, file.status])).toEqual([
      ['differs/added.ndjson', 'uploaded'],
      ['differs/changed.ndjson', 'uploaded'],
    ])
    expect(result.summary).toMatchObject({unchanged: 499, stored: 1, quarantined: 1})
    const first = await upload(files({'catalog.ndjson': catalog}), {prefix: 'same'})
    expect(first.files[0].processedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    const forced = await upload(files({'catalog.ndjson': catalog}), {prefix: 'same', force: true, wait: true})
    // Sent, and what --wait finds is the earlier run's outcome: said so.
    expect(forced.files[0]).toMatchObject({status: 'uploaded', processedAt: first.files[0].processedAt})
    expect(forced.files[0].outcome).toMatchObject({state: 'batch', at: first.files[0].processedAt})
    expect(sentAgainLine(forced.files[0])).toBe(
      `note         same/catalog.ndjson  (processed before exactly so, ${first.files[0].processedAt}, and sent again: ` +
        "its counts are that run's)",
    )
    await t.pipeline.idle()
  })

  it("says the counts are the earlier run's, and where to see what is in quarantine now", async () => {
    await upload(files({'apricots.json': record('Apricots')}), {wait: true, prefix: 'mixed'})
    const at = files({'mixed.ndjson': `${record('Atlas')}\n${record('Apricots', 999)}\n`})
    const first = await upload(at, {wait: true, prefix: 'mixed'})
    expect(first.summary).toMatchObject({stored: 1, quarantined: 1})
    const again = await upload(at, {wait: true, prefix: 'mixed'})
    expect(again.files[0].status).toBe('unchanged')
    expect(unchangedLine(again.files[0], ['--local'])).toBe(
      `unchanged    mixed/mixed.ndjson  (processed before exactly so, ${first.files[0].outcome!.at}; counts of that run: ` +
        '2 records, 1 stored, 0 unchanged, 1 quarantined; ' +
        'in quarantine now: eventpulse quarantine list --prefix mixed/mixed.ndjson/ --local; not sent)',
    )
    expect(again.summary).toMatchObject({unchanged: 1, stored: 0, quarantined: 0})
  })
})

describe('upload --force of a stored record', () => {
  it('under the same key is the same upload and ends stored; under another key it ends unchanged', async () => {
    const body = record('Forced')
    await upload(files({'forced.json': body}), {wait: true, prefix: 'force'})
    const same = await upload(files({'forced.json': body}), {wait: true, prefix: 'force', force: true})
    expect(same.files[0]).toMatchObject({status: 'uploaded', outcome: {state: 'stored'}})
    const other = await upload(files({'forced-copy.json': body}), {wait: true, prefix: 'force', force: true})
    expect(other.files[0]).toMatchObject({status: 'uploaded', outcome: {state: 'unchanged'}})
  })
})

describe('an upload under keys another upload used', () => {
  // Two folders of one layout: the same path below each, the same ArtistID + ItemID, another Duration.
  const folder = (name: string, body: string) => {
    const at = join(dir, 'layout', name)
    mkdirSync(at, {recursive: true})
    writeFileSync(join(at, 'song.json'), body)
    return at
  }

  it('is sent, and warned of: the key, the count, --prefix named after the folder; not for the same bytes', async () => {
    const first = record('Shared Layout', 100)
    await upload(folder('dir-A', first), {wait: true, prefix: 'reuse/'})
    const planned = await planUpload([folder('dir-E', record('Shared Layout', 300))], {prefix: 'reuse/'})
    const result = await runUpload(target, planned, {validate: true, progress: silent})
    expect(result.files[0]).toMatchObject({
      status: 'uploaded',
      keyUsedBefore: {etag: createHash('md5').update(first).digest('hex'), at: expect.any(String)},
    })
    expect(keysUsedBeforeWarning(planned, result.files)).toBe(
      '1 file was sent under keys an earlier upload used for another version of the same records ' +
        '(reuse/song.json): keys are paths below the folder uploaded, so folders of one layout share them. Each ' +
        'such record is quarantined as a duplicate of the stored one (send changes with --replace). Upload each ' +
        'folder under its own prefix, e.g. --prefix dir-E/.',
    )
    // The same bytes again: unchanged, not sent, nothing to say.
    const again = await upload(folder('dir-B', first), {prefix: 'reuse/'})
    expect(again.files[0].status).toBe('unchanged')
    expect(keysUsedBeforeWarning([], again.files)).toBeUndefined()
  })

  it('is not warned of when the stored version came from another key: that is told as a duplicate to be', async () => {
    await upload(folder('dir-C', record('Elsewhere', 100)), {wait: true, prefix: 'one/'})
    const result = await upload(folder('dir-D', record('Elsewhere', 300)), {prefix: 'two/'})
    expect(result.files[0].status).toBe('uploaded')
    expect(result.files[0].keyUsedBefore).toBeUndefined()
    expect(result.files[0].storedFrom).toEqual({sourceKey: 'one/song.json'})
    expect(storedFromOtherKeysWarning(result.files)).toBe(
      '1 file holds another version of a record stored from another key (two/song.json, stored from one/song.json): ' +
        'the pipeline quarantines each as a duplicate of the stored one. Send changes with --replace; accept one ' +
        'already quarantined with eventpulse quarantine accept.',
    )
  })

  it('names five keys and counts the rest', () => {
    const planned = [{file: {displayPath: 'dir-E/0.json', relativePath: '0.json'}, key: '0.json'}]
    const reused = Array.from({length: 7}, (_, i) => ({
      file: `dir-E/${i}.json`,
      key: `${i}.json`,
      status: 'uploaded' as const,
      keyUsedBefore: {},
    }))
    expect(keysUsedBeforeWarning(planned, reused)).toMatch(
      /^7 files were sent under .* \(0\.json, 1\.json, 2\.json, 3\.json, 4\.json, and 2 more\)/,
    )
  })
})

/** The outcomes-table record the pipeline leaves for an upload it found already stored exactly so. */
async function recordUnchanged(key: string, etag: string) {
  const {partitionKey, sortKey, attributes} = OUTCOMES_TABLE
  await t.pipeline.dynamodb.send(
    new PutItemCommand({
      TableName: t.pipeline.state.outcomesTable,
      Item: {
        [partitionKey]: {S: key},
        [sortKey]: {S: etag},
        [attributes.outcome]: {S: 'unchanged'},
        [attributes.at]: {S: new Date().toISOString()},
        [attributes.artistId]: {S: 'Floating Points'},
        [attributes.itemId]: {S: 'TRACK#Settles'},
      },
    }),
  )
}
