import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {BatchGetItemCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {expect, it} from 'vitest'

import {planUpload} from '#upload/plan.js'
import {runUpload} from '#upload/run-upload.js'
import {tempDir} from '../helpers/temp-dirs.js'
import {mockedStackTarget} from './stored-items-mock.js'

// A batch file sent to a stack whose uploader role predates the look-up before sending: the refusal is explained.

const dynamodb = mockClient(DynamoDBClient)
const s3 = mockClient(S3Client)

it('stops before sending a batch file the role may not look up, and says which permission is missing (exit 3)', async () => {
  dynamodb.on(BatchGetItemCommand).rejects(Object.assign(new Error('not authorized'), {name: 'AccessDeniedException'}))
  const dir = tempDir('ep-denied-batch-')
  writeFileSync(
    join(dir, 'a.ndjson'),
    '{"ArtistID": "Bonobo", "ItemID": "TRACK#A"}\n{"ArtistID": "Bonobo", "ItemID": "TRACK#B"}\n',
  )
  const result = await runUpload(mockedStackTarget(), await planUpload([dir], {}), {
    validate: true,
    progress: {advance() {}, done() {}},
  })
  expect(result.failure).toMatchObject({
    exitCode: 3,
    code: 'AccessDenied',
    message: 'The upload stopped: The uploader role may not look records up in the table (dynamodb:BatchGetItem).',
  })
  expect(result.files.map((file) => file.status)).toEqual(['failed'])
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
})
