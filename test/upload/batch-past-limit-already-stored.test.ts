import {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it, vi} from 'vitest'

import {batchAlreadyStored} from '#upload/already-stored.js'
import {storesEverything} from './stored-items-mock.js'

// The look-up before sending a batch file at the record limit, lowered to 2 records (a million would take minutes).
vi.mock('#contract/limits.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('#contract/limits.js')>()),
  MAX_BATCH_RECORDS: 2,
}))

const dynamodb = mockClient(DynamoDBClient)
const client = new DynamoDBClient({region: 'us-east-1'})
beforeEach(() => {
  dynamodb.reset()
  storesEverything(dynamodb)
})

const lines = (count: number) =>
  Buffer.from(Array.from({length: count}, (_, n) => `{"ArtistID": "B", "ItemID": "TRACK#${n + 1}"}\n`).join(''))

it('counts a batch of exactly the record limit, every record stored, as unchanged', async () => {
  expect(await batchAlreadyStored(client, 'catalog', lines(2), {gzip: false})).toBe(2)
})

it('leaves a batch past the record limit to be sent (the pipeline quarantines the rest), even when what it read is stored', async () => {
  expect(await batchAlreadyStored(client, 'catalog', lines(3), {gzip: false})).toBeUndefined()
})
