import {gzipSync} from 'node:zlib'

import {BatchGetItemCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it} from 'vitest'

import {batchAlreadyStored} from '#upload/already-stored.js'
import {storesEverything} from './stored-items-mock.js'

// Whether a batch file is already stored exactly so (then it is not sent), at the SDK boundary.

const dynamodb = mockClient(DynamoDBClient)
const client = new DynamoDBClient({region: 'us-east-1'})
beforeEach(() => dynamodb.reset())

/** `count` NDJSON records of Bonobo, one a line: a first look-up window when there are 100. */
const ndjson = (count: number) =>
  Buffer.from(
    Array.from({length: count}, (_, n) => `${JSON.stringify({ArtistID: 'Bonobo', ItemID: `TRACK#${n}`})}\n`).join(''),
  )

it('reads the lines of a DynamoDB export as records (the pipeline attributes left out), all stored: not sent', async () => {
  storesEverything(dynamodb)
  const exported = Buffer.from(
    '{"Item":{"ArtistID":{"S":"Bonobo"},"ItemID":{"S":"TRACK#0"},"ep_source_key":{"S":"old.json"}}}\n' +
      '{"Item":{"ArtistID":{"S":"Bonobo"},"ItemID":{"S":"TRACK#1"},"ep_source_key":{"S":"old.json"}}}\n',
  )
  expect(await batchAlreadyStored(client, 'catalog', exported, {gzip: false})).toBe(2)
})

it('sends a gzip batch whose data breaks off, though every line read is stored', async () => {
  storesEverything(dynamodb)
  const cut = gzipSync(ndjson(250)).subarray(0, 300)
  expect(await batchAlreadyStored(client, 'catalog', cut, {gzip: true})).toBeUndefined()
})

it('fails with the look-up error itself when the look-up fails (it is not taken for an unreadable file)', async () => {
  dynamodb.on(BatchGetItemCommand).rejects(Object.assign(new Error('injected'), {name: 'InternalServerError'}))
  await expect(batchAlreadyStored(client, 'catalog', ndjson(100), {gzip: false})).rejects.toMatchObject({
    name: 'InternalServerError',
  })
})
