import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {BatchGetItemCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'

import type {TypedItem} from '#record/typed-item.js'
import {itemKeyOf} from '#record/typed-item.js'
import {batchAlreadyStored, storedItemsFor} from '#upload/already-stored.js'
import {planUpload} from '#upload/plan.js'
import {runUpload} from '#upload/run-upload.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {mockedStackTarget, storesEverything} from '../upload/stored-items-mock.js'

// The look-up before sending, at the SDK boundary: dynalite never leaves keys unprocessed, DynamoDB does when throttled.

const dynamodb = mockClient(DynamoDBClient)
const s3 = mockClient(S3Client)
beforeEach(() => {
  dynamodb.reset()
  s3.reset()
})

const record = (item: string): TypedItem => ({ArtistID: {S: 'Bonobo'}, ItemID: {S: item}, Duration: {N: '200'}})
const key = (item: string) => ({ArtistID: {S: 'Bonobo'}, ItemID: {S: item}})

describe('storedItemsFor', () => {
  it('asks for each key once, and again, after a pause, for the keys DynamoDB left unprocessed', async () => {
    dynamodb
      .on(BatchGetItemCommand)
      .resolvesOnce({Responses: {catalog: [record('TRACK#A')]}, UnprocessedKeys: {catalog: {Keys: [key('TRACK#B')]}}})
      .resolvesOnce({Responses: {catalog: [record('TRACK#B')]}})
    const client = new DynamoDBClient({region: 'us-east-1'})
    const found = await storedItemsFor(client, 'catalog', [record('TRACK#A'), record('TRACK#B'), record('TRACK#A')])
    const calls = dynamodb.commandCalls(BatchGetItemCommand)
    expect(calls.map((call) => call.args[0].input.RequestItems)).toEqual([
      {catalog: {Keys: [key('TRACK#A'), key('TRACK#B')]}},
      {catalog: {Keys: [key('TRACK#B')]}},
    ])
    expect([...found.keys()]).toEqual([itemKeyOf(record('TRACK#A')), itemKeyOf(record('TRACK#B'))])
  })

  it('gives up on keys that stay unprocessed, leaving them out (those records are sent)', async () => {
    dynamodb.on(BatchGetItemCommand).resolves({UnprocessedKeys: {catalog: {Keys: [key('TRACK#A')]}}})
    const pauses: number[] = []
    const found = await storedItemsFor(new DynamoDBClient({region: 'us-east-1'}), 'catalog', [record('TRACK#A')], {
      pause: async (ms) => pauses.push(ms),
    })
    expect(found.size).toBe(0)
    // Eight tries in all: about 6 s of backoff at most.
    const calls = dynamodb.commandCalls(BatchGetItemCommand).length
    expect(calls).toBe(8)
    // A pause before each retry, growing (with jitter, each at least half the nominal backoff and under 1.5 times it).
    expect(pauses).toHaveLength(calls - 1)
    pauses.forEach((ms, index) => {
      expect(ms).toBeGreaterThanOrEqual(25 * 2 ** index)
      expect(ms).toBeLessThan(75 * 2 ** index)
    })
  })

  it('makes no call when there is nothing to look up', async () => {
    expect((await storedItemsFor(new DynamoDBClient({region: 'us-east-1'}), 'catalog', [])).size).toBe(0)
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(0)
  })
})

describe('batchAlreadyStored', () => {
  const client = new DynamoDBClient({region: 'us-east-1'})
  const lines = Array.from({length: 250}, (_, n) => JSON.stringify({ArtistID: 'Bonobo', ItemID: `TRACK#${n}`}))
  const body = Buffer.from(lines.join('\n') + '\n')

  it('counts the records when every one is stored exactly so, looked up 100 a call', async () => {
    storesEverything(dynamodb)
    expect(await batchAlreadyStored(client, 'catalog', body, {gzip: false})).toBe(250)
    expect(
      dynamodb.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems!.catalog.Keys!.length),
    ).toEqual([100, 100, 50])
  })

  it('stops at the first call that finds a record missing: a new file costs one call', async () => {
    dynamodb.on(BatchGetItemCommand).resolves({Responses: {catalog: []}})
    expect(await batchAlreadyStored(client, 'catalog', body, {gzip: false})).toBeUndefined()
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(1)
  })

  describe('a large file', () => {
    const large = Buffer.from(
      Array.from({length: 1000}, (_, n) => JSON.stringify({ArtistID: 'Bonobo', ItemID: `TRACK#${n}`})).join('\n'),
    )
    /** Answers after a pause, recording how many calls were under way when each began. */
    const answering = (respond: (keys: {ItemID: {S: string}}[]) => object) => {
      let underWay = 0
      const seen: number[] = []
      dynamodb.on(BatchGetItemCommand).callsFake(async (input) => {
        seen.push(++underWay)
        await new Promise((resolve) => setTimeout(resolve, 20))
        underWay--
        return respond(input.RequestItems.catalog.Keys)
      })
      return seen
    }

    it('is looked up four calls at a time once its first call found its records stored', async () => {
      const seen = answering((keys) => ({Responses: {catalog: keys}}))
      expect(await batchAlreadyStored(client, 'catalog', large, {gzip: false})).toBe(1000)
      expect(seen).toHaveLength(10)
      // The first alone (a new file costs one call), then never more than four at once.
      expect(seen[0]).toBe(1)
      expect(Math.max(...seen)).toBe(4)
    })

    it('is not stored when a window finds a record missing, and stops starting calls then', async () => {
      const seen = answering((keys) => ({
        Responses: {catalog: keys.filter((key) => key.ItemID.S !== 'TRACK#150')},
      }))
      expect(await batchAlreadyStored(client, 'catalog', large, {gzip: false})).toBeUndefined()
      // The second window holds it: it and the three started after it, and no more.
      expect(seen).toHaveLength(5)
    })

    it('is not stored when the last windows, awaited together, find a record missing', async () => {
      answering((keys) => ({Responses: {catalog: keys.filter((key) => key.ItemID.S !== 'TRACK#999')}}))
      expect(await batchAlreadyStored(client, 'catalog', large, {gzip: false})).toBeUndefined()
    })
  })

  it('is undefined, with no call past it, for a line that is not a valid record, and for an empty file', async () => {
    storesEverything(dynamodb)
    const broken = Buffer.from(`${lines[0]}\n{"ArtistID": \n${lines[1]}\n`)
    expect(await batchAlreadyStored(client, 'catalog', broken, {gzip: false})).toBeUndefined()
    expect(await batchAlreadyStored(client, 'catalog', Buffer.from('\n'), {gzip: false})).toBeUndefined()
    expect(dynamodb.commandCalls(BatchGetItemCommand)).toHaveLength(0)
  })
})

describe('upload against a stack whose uploader role predates the look-up', () => {
  it('stops before sending anything, and says to redeploy or pass --force (exit 3)', async () => {
    dynamodb
      .on(BatchGetItemCommand)
      .rejects(Object.assign(new Error('not authorized'), {name: 'AccessDeniedException'}))
    const dir = tempDir('ep-denied-')
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ArtistID: 'Bonobo', ItemID: 'TRACK#A'}))
    const result = await runUpload(mockedStackTarget(), await planUpload([dir], {}), {
      validate: true,
      progress: {advance() {}, done() {}},
    })
    expect(result.failure).toMatchObject({
      exitCode: 3,
      code: 'AccessDenied',
      message: 'The upload stopped: The uploader role may not look records up in the table (dynamodb:BatchGetItem).',
      hint: expect.stringContaining('--force'),
    })
    expect(result.files.map((file) => file.status)).toEqual(['not-attempted'])
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
  })
})
