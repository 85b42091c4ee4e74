import {stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'
import {GetObjectCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {dataDirCredentials} from '#local/credentials.js'
import {BUCKETS, type Emulators, startEmulators} from '../cli/helpers/emulators.js'
import {removeDir, temporaryDir} from '../processor/helpers.js'
import {DICER_BODY} from './fixtures/dicer.js'

// The local emulators answer only their owner (src/lib/local/owner-only.ts): requests signed (SigV4) with the
// pipeline's own credentials, from a loopback Host, with no browser Origin, and no multipart POST to s3rver.

let e: Emulators
beforeAll(async () => {
  e = await startEmulators()
})
afterAll(() => e?.stop())

type Tweak = (request: {headers: Record<string, string>; path: string}) => void

/** SDK clients signing with these keys; `beforeSigning` changes the request that gets signed, `afterSigning` the one sent. */
function clients(
  credentials: {accessKeyId: string; secretAccessKey: string},
  options: {beforeSigning?: Tweak; afterSigning?: Tweak; clockOffsetMs?: number} = {},
) {
  const config = {region: 'us-east-1', credentials, maxAttempts: 1, systemClockOffset: options.clockOffsetMs}
  const s3 = new S3Client({...config, endpoint: e.s3Endpoint, forcePathStyle: true})
  const dynamodb = new DynamoDBClient({...config, endpoint: e.dynamoEndpoint})
  for (const client of [s3, dynamodb] as {middlewareStack: S3Client['middlewareStack']}[]) {
    const {beforeSigning, afterSigning} = options
    if (beforeSigning)
      client.middlewareStack.add((next) => (args) => (beforeSigning(args.request as never), next(args)), {
        step: 'build',
        priority: 'low',
      })
    if (afterSigning)
      client.middlewareStack.add((next) => (args) => (afterSigning(args.request as never), next(args)), {
        step: 'deserialize',
        priority: 'high',
      })
  }
  return {s3, dynamodb}
}

const put = (s3: S3Client, key: string) =>
  s3.send(new PutObjectCommand({Bucket: BUCKETS.quarantine, Key: key, Body: Buffer.from('{"a":1}')}))

const refused = {$metadata: expect.objectContaining({httpStatusCode: 403})}

async function expectRefusedBoth(made: ReturnType<typeof clients>, key: string) {
  await expect(put(made.s3, key)).rejects.toMatchObject(refused)
  await expect(made.dynamodb.send(new ListTablesCommand({}))).rejects.toMatchObject(refused)
  await expect(e.s3.send(new GetObjectCommand({Bucket: BUCKETS.quarantine, Key: key}))).rejects.toMatchObject({
    name: 'NoSuchKey',
  })
}

describe('the emulators answer requests signed with their credentials only', () => {
  test("the owner's signed requests are answered, on both", async () => {
    const owner = clients(e.credentials)
    await put(owner.s3, 'owner.json')
    expect(
      await (
        await e.s3.send(new GetObjectCommand({Bucket: BUCKETS.quarantine, Key: 'owner.json'}))
      ).Body!.transformToString(),
    ).toBe('{"a":1}')
    expect((await owner.dynamodb.send(new ListTablesCommand({}))).TableNames).toContain('ep-table')
    // localhost is loopback too.
    await put(
      clients(e.credentials, {
        beforeSigning: (r) => (r.headers.host = r.headers.host.replace('127.0.0.1', 'localhost')),
      }).s3,
      'localhost.json',
    )
  })

  test('unsigned requests are refused (403), on both', async () => {
    const s3 = await fetch(`${e.s3Endpoint}/${BUCKETS.quarantine}/unsigned.json`, {method: 'PUT', body: '{"a":1}'})
    expect(s3.status).toBe(403)
    const dynamodb = await fetch(e.dynamoEndpoint, {
      method: 'POST',
      headers: {'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables'},
      body: '{}',
    })
    expect(dynamodb.status).toBe(403)
  })

  test("requests signed with the old fixed pair, or another secret, or the owner's key with another secret, are refused", async () => {
    await expectRefusedBoth(clients({accessKeyId: 'eventpulse-local', secretAccessKey: 'eventpulse-local'}), 'old.json')
    await expectRefusedBoth(
      clients({accessKeyId: e.credentials.accessKeyId, secretAccessKey: 'not-the-secret'}),
      'wrong-secret.json',
    )
  })

  test('a signed request changed after signing (path, body) or signed 20 minutes ago is refused', async () => {
    await expect(
      put(
        clients(e.credentials, {afterSigning: (r) => (r.path = r.path.replace('signed.json', 'other.json'))}).s3,
        'signed.json',
      ),
    ).rejects.toMatchObject(refused)
    const changedBody = clients(e.credentials, {
      afterSigning: (r) => Object.assign(r, {body: '{"Limit":2}', headers: {...r.headers, 'content-length': '11'}}),
    })
    await expect(changedBody.dynamodb.send(new ListTablesCommand({Limit: 1}))).rejects.toMatchObject(refused)
    await expectRefusedBoth(clients(e.credentials, {clockOffsetMs: -20 * 60 * 1000}), 'stale.json')
  })
})

describe('a browser cannot reach them', () => {
  test('a foreign Host (DNS rebinding) is refused, even signed', async () => {
    await expectRefusedBoth(
      clients(e.credentials, {beforeSigning: (r) => (r.headers.host = 'evil.example')}),
      'rebound.json',
    )
    const port = new URL(e.s3Endpoint).port
    await expectRefusedBoth(
      clients(e.credentials, {beforeSigning: (r) => (r.headers.host = `127.0.0.1:${Number(port) + 1}`)}),
      'other-port.json',
    )
  })

  test('a request with an Origin header is refused, even signed', async () => {
    await expectRefusedBoth(
      clients(e.credentials, {beforeSigning: (r) => (r.headers.origin = 'https://evil.example')}),
      'origin.json',
    )
  })

  test('a multipart POST upload is refused, and the body that crashes dicer leaves s3rver running', async () => {
    const response = await fetch(`${e.s3Endpoint}/${BUCKETS.processing}`, {
      method: 'POST',
      headers: {'content-type': 'multipart/form-data; boundary=----B'},
      body: DICER_BODY,
    })
    expect(response.status).toBe(403)
    await put(clients(e.credentials).s3, 'after-dicer.json')
  })
})

describe("the data directory's credentials", () => {
  test('are one random pair per signer (pipeline, uploader, quarantine-admin, selftest), owner-only, kept across starts, new once the directory is wiped', async () => {
    const dir = await temporaryDir()
    try {
      const file = join(dir, 'local', 'credentials.json')
      const first = await dataDirCredentials(file)
      expect(Object.keys(first).sort()).toEqual(['pipeline', 'quarantineAdmin', 'selftest', 'uploader'])
      for (const pair of Object.values(first)) {
        expect(pair.accessKeyId).toMatch(/^[A-Z0-9]{20}$/)
        expect(pair.secretAccessKey).toHaveLength(40)
      }
      expect(new Set(Object.values(first).map((pair) => pair.accessKeyId)).size).toBe(4)
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect(await dataDirCredentials(file)).toEqual(first)
      await removeDir(join(dir, 'local'))
      const second = await dataDirCredentials(file)
      expect(second.uploader.accessKeyId).not.toBe(first.uploader.accessKeyId)
      expect(second.pipeline.secretAccessKey).not.toBe(first.pipeline.secretAccessKey)
      // A keyring of an earlier version (no selftest pair) keeps its pairs and gains the new one.
      const {selftest: _selftest, ...earlier} = second
      await writeFile(file, JSON.stringify(earlier))
      const upgraded = await dataDirCredentials(file)
      expect(upgraded).toMatchObject(earlier)
      expect(upgraded.selftest.accessKeyId).toMatch(/^[A-Z0-9]{20}$/)
      expect(await dataDirCredentials(file)).toEqual(upgraded)
    } finally {
      await removeDir(dir)
    }
  })
})
