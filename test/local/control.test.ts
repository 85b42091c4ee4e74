import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {askToSweep, startControlServer} from '#local/control.js'
import {type DeadLetterRecord, EventDispatcher, readDeadLetterFile} from '#local/dispatcher.js'
import type {LocalPipelineState} from '#local/state.js'
import {s3ObjectCreatedEvent} from '#processor/event.js'
import type {SweepResult} from '#processor/sweep.js'
import {removeDir, temporaryDir} from '../processor/helpers.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir)
})

const letter = (key: string): DeadLetterRecord => ({
  at: new Date().toISOString(),
  attempts: 1,
  error: {name: 'AccessDenied', message: 'Access Denied', transient: false},
  event: s3ObjectCreatedEvent({account: '0', region: 'us-east-1', bucket: 'b', key, size: 1, etag: 'e'}),
})

describe("the local pipeline's dead-letter file", () => {
  it('loses no record appended while `dead-letters clear` has it rewritten', async () => {
    const dir = await temporaryDir()
    dirs.push(dir)
    await mkdir(join(dir, 'inflight'))
    const file = join(dir, 'dead-letter.jsonl')
    const dispatcher = new EventDispatcher({
      handler: async () => [],
      concurrency: 1,
      maxAttempts: 1,
      retryDelayMs: 1,
      inflightDirectory: join(dir, 'inflight'),
      deadLetterFile: file,
    })
    for (let i = 0; i < 20; i++) await dispatcher.deadLetter(letter(`old-${i}.json`))
    const doomed = (await readDeadLetterFile(file)).slice(0, 10).map((line) => line.id)

    const [removed] = await Promise.all([
      dispatcher.removeDeadLetters(doomed),
      ...Array.from({length: 100}, (_, i) => dispatcher.deadLetter(letter(`new-${i}.json`))),
    ])

    expect(removed.sort()).toEqual([...doomed].sort())
    const keys = (await readDeadLetterFile(file)).map((line) => line.record!.event.detail.object.key)
    expect(keys).toHaveLength(110)
    expect(keys.filter((key) => /^old-\d$/.test(key))).toEqual([])
    expect(new Set(keys).size).toBe(110)
  })
})

describe("the local pipeline's control server", () => {
  const result: SweepResult = {swept: 1, recovered: 1, failed: 0, gaveUp: [], givenUpBefore: 0, complete: true}

  it('answers requests that carry the token from the state file, and refuses the others', async () => {
    const server = await startControlServer(
      {sweep: async () => result, removeDeadLetters: async (ids) => ids},
      '127.0.0.1',
    )
    try {
      expect(server.address.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const state = {pid: process.pid, control: server.address} as LocalPipelineState
      expect(await askToSweep(state)).toEqual(result)
      for (const token of ['', 'not-the-token', `${server.address.token}x`])
        await expect(askToSweep({...state, control: {...server.address, token}})).rejects.toMatchObject({
          exitCode: 4,
          code: 'LocalPipelineRequestFailed',
          message: 'The local pipeline could not sweep: a token from the state file is required',
        })
      const unknown = await fetch(`${server.address.url}/reset`, {
        method: 'POST',
        headers: {authorization: `Bearer ${server.address.token}`},
      })
      expect(unknown.status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it('answers 400 to a body that is not JSON and 413 to one over 1 MiB, never 500', async () => {
    const server = await startControlServer(
      {sweep: async () => result, removeDeadLetters: async (ids) => ids},
      '127.0.0.1',
    )
    try {
      const post = (body: string) =>
        fetch(`${server.address.url}/dead-letters/remove`, {
          method: 'POST',
          headers: {authorization: `Bearer ${server.address.token}`, 'content-type': 'application/json'},
          body,
        })
      for (const malformed of ['{"ids": [', 'null', '{"ids": 7}']) expect((await post(malformed)).status).toBe(400)
      expect((await post(JSON.stringify({ids: ['x'.repeat(2 * 1024 * 1024)]}))).status).toBe(413)
      expect(await (await post('{"ids": ["a"]}')).json()).toEqual(['a'])
    } finally {
      await server.close()
    }
  })
})
