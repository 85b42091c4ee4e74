import type {DynamoDBClient} from '@aws-sdk/client-dynamodb'
import type {S3Client} from '@aws-sdk/client-s3'
import {expect, it} from 'vitest'

import {planUpload} from '#upload/plan.js'
import {uploadFiles} from '#upload/send.js'
import {freshTarget, localPipelineForTests} from './fresh-target.js'
import {temporaryFolders} from './folders.js'

// A file waiting on its window's look-up when another file fails to send: it is not sent once the look-up answers.

const pipeline = localPipelineForTests()

const folder = temporaryFolders('ep-stop-while-looking-up')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
type Command = {constructor: {name: string}; input: unknown}

it('does not send a file whose look-up answers after another file failed', async () => {
  let failed!: () => void
  const failing = new Promise<void>((resolve) => (failed = resolve))
  const target = await freshTarget(pipeline(), {concurrency: 2})
  // u099.json fails to send, after a while; the look-up of the second window (u100.json) answers only after that.
  const s3 = Object.create(pipeline().pipeline.s3, {
    send: {
      value: async (command: Command) => {
        if (command.constructor.name === 'PutObjectCommand' && JSON.stringify(command.input).includes('"u099.json"')) {
          await sleep(300)
          failed()
          throw Object.assign(new Error('injected'), {name: 'InternalError', $metadata: {httpStatusCode: 500}})
        }
        return pipeline().pipeline.s3.send(command as never)
      },
    },
  }) as S3Client
  const dynamodb = Object.create(pipeline().pipeline.dynamodb, {
    send: {
      value: async (command: Command) => {
        if (
          command.constructor.name === 'BatchGetItemCommand' &&
          JSON.stringify(command.input).includes('"TRACK#1200"')
        ) {
          await failing
          await sleep(50)
        }
        return pipeline().pipeline.dynamodb.send(command as never)
      },
    },
  }) as DynamoDBClient
  const contents = Object.fromEntries(
    Array.from({length: 101}, (_, n) => [
      `u${String(n).padStart(3, '0')}.json`,
      JSON.stringify({ArtistID: 'Sender', ItemID: `TRACK#${1100 + n}`, Duration: 200}),
    ]),
  )
  const result = await uploadFiles({...target, s3, dynamodb}, await planUpload([folder(contents)], {}), {
    validate: true,
    force: false,
    progress: {advance: () => {}, done: () => {}},
  })
  expect(result.files[99].status).toBe('failed')
  expect(result.files[100].status).toBe('not-attempted')
  expect(await pipeline().keys(target.resources.processingBucket!)).not.toContain('u100.json')
})
