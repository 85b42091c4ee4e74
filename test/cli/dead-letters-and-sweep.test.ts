import {readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {objectCreatedEvent, sequencerClock} from '#local/events.js'
import type {LocalPipeline} from '#local/pipeline.js'
import {eventObjectKey} from '#processor/event.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'
import {helpers} from '../processor/helpers.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'

// `dead-letters list|clear` and `sweep` on the local pipeline, as a user runs them: the CLI in its own process, the
// pipeline in this one. Events are delivered by hand (none is sent on upload), so that an object can fail for good
// (its reads refused: a permanent error, dead-lettered at once) or wait with no event at all, for the sweep.

const record = (item: string) => JSON.stringify({ArtistID: 'Bicep', ItemID: `TRACK#${item}`, EntityType: 'Track'})

let pipeline: LocalPipeline
let cli: (args: string[]) => ReturnType<typeof runCli>
/** Keys whose reads fail in the handler (S3 errors 500; an AccessDenied would be quarantined as unreadable), until taken out. */
const refused = new Set(['dead/glue.json', 'dead/apricots.json'])

const json = async (args: string[]) => {
  const run = await cli([...args, '--json'])
  return {...run, document: JSON.parse(run.stdout)}
}
const deadLetterLines = () =>
  readFileSync(pipeline.state.deadLetterFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

beforeAll(async () => {
  ;({pipeline, cli} = await startPipelineForCli({
    dropEventRatio: 1,
    // The sweep runs only when asked for, and takes every object waiting.
    sweepEverySeconds: 3600,
    stuckAfterSeconds: 0,
    instrumentHandlerClients({s3}) {
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          const key = (args.input as {Key?: string}).Key
          if (context.commandName === 'GetObjectCommand' && key && refused.has(key))
            throw Object.assign(new Error('We encountered an internal error'), {
              name: 'InternalError',
              $metadata: {httpStatusCode: 500},
            })
          return next(args)
        },
        {step: 'initialize', name: 'refuseReads'},
      )
    },
  }))
  const {upload} = helpers(pipeline)
  const nextSequencer = sequencerClock()
  for (const key of refused) {
    const body = record(key)
    const etag = await upload(key, body)
    const {processingBucket: bucket, region} = pipeline.state
    pipeline.deliver(
      objectCreatedEvent({bucket, key, size: Buffer.byteLength(body), etag, sequencer: nextSequencer(), region}),
    )
  }
  await pipeline.idle()
})
afterAll(() => pipeline?.stop())

describe('dead-letters list --local', () => {
  it('shows each upload that failed for good, with its key, error, age and the object still waiting; twice the same', async () => {
    expect(pipeline.stats().deadLettered).toBe(2)
    const first = await json(['dead-letters', 'list'])
    const second = await json(['dead-letters', 'list'])
    expect(first.exitCode).toBe(0)
    const withoutAge = (document: {result: {letters: {ageSeconds?: number}[]}}) =>
      document.result.letters.map(({ageSeconds: _age, ...letter}) => letter)
    expect(withoutAge(second.document)).toEqual(withoutAge(first.document))
    expect(first.document.result).toMatchObject({
      places: [{place: 'dead-letter-file', where: pipeline.state.deadLetterFile, listed: 2, complete: true}],
      count: 2,
    })
    expect(
      first.document.result.letters.map((letter: {objects: {key: string}[]}) => letter.objects[0].key).sort(),
    ).toEqual([...refused].sort())
    for (const letter of first.document.result.letters)
      expect(letter).toMatchObject({
        place: 'dead-letter-file',
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        kind: 'objects',
        objects: [{state: 'waiting', etag: expect.stringMatching(/^[0-9a-f]{32}$/)}],
        error: {code: 'InternalError', message: 'We encountered an internal error'},
        attempts: 3,
        ageSeconds: expect.any(Number),
        clearable: false,
      })

    const human = await cli(['dead-letters', 'list'])
    expect(human.stdout.trimEnd().split('\n').sort()).toEqual([
      expect.stringMatching(
        /^dead-letter-file {2}\d+s ago {2}dead\/apricots\.json \(still waiting\) {2}InternalError: We encountered an internal error \(3 attempts\)$/,
      ),
      expect.stringMatching(/^dead-letter-file {2}\d+s ago {2}dead\/glue\.json \(still waiting\) {2}InternalError/),
    ])
    expect(human.stderr).toContain('2 dead letters (local pipeline); 2 kept by `dead-letters clear`')
  })
})

describe('sweep --local', () => {
  it('asks the running pipeline to sweep: an object whose event never came is recovered, and counted', async () => {
    await helpers(pipeline).upload('lost/kerala.json', record('Kerala'))
    // The cause of one failure is fixed: the sweep now recovers that object too; the other still fails.
    refused.delete('dead/glue.json')
    const run = await json(['sweep'])
    expect(run.exitCode).toBe(0)
    expect(run.document).toEqual({
      status: 0,
      result: {swept: 3, recovered: 2, failed: 1, gaveUp: [], givenUpBefore: 0, complete: true},
    })
    expect(await helpers(pipeline).keys(pipeline.state.processingBucket)).toEqual(['dead/apricots.json'])
    expect(await helpers(pipeline).item('Bicep', 'TRACK#Kerala')).toBeDefined()
    expect(pipeline.stats().recoveredBySweep).toBe(2)

    const again = await cli(['sweep'])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toBe(
      'Swept 1 object: 0 recovered (their event never came), 1 failed (tried again by a later run), 0 given up.\n',
    )
  })
})

describe('dead-letters clear --local', () => {
  it('refuses without a terminal, shows with --dry-run, and with --yes removes only the letter whose object is gone', async () => {
    const refusedRun = await cli(['dead-letters', 'clear'])
    expect(refusedRun.exitCode).toBe(2)
    expect(refusedRun.stderr).toContain('Refusing to remove dead letters without confirmation')
    const dryRun = await cli(['dead-letters', 'clear', '--dry-run'])
    expect(dryRun.exitCode).toBe(0)
    expect(dryRun.stderr).toMatch(
      /^Would remove 1 dead letter with nothing left waiting:\n {2}dead-letter-file .*dead\/glue\.json \(gone\)/m,
    )
    expect(deadLetterLines()).toHaveLength(2)

    const {exitCode, document} = await json(['dead-letters', 'clear', '--yes'])
    expect(exitCode).toBe(0)
    expect(document.result).toMatchObject({
      removed: [expect.stringMatching(/^[0-9a-f]{16}$/)],
      kept: [{objects: [{key: 'dead/apricots.json', state: 'waiting'}]}],
      missing: [],
      failed: [],
      declined: false,
    })
    expect(deadLetterLines().map((line) => eventObjectKey(line.event))).toEqual(['dead/apricots.json'])
    expect((await json(['dead-letters', 'list'])).document.result.count).toBe(1)
  })
})

describe('with no local pipeline running', () => {
  it('sweep and dead-letters exit 4 (the target is unreachable), naming `eventpulse local start`', async () => {
    const env = isolatedXdg()
    for (const args of [['sweep'], ['dead-letters', 'list'], ['dead-letters', 'clear', '--yes']]) {
      const run = await runCli([...args, '--local'], {env})
      expect(run.exitCode, args.join(' ')).toBe(4)
      expect(run.stderr, args.join(' ')).toContain('eventpulse local start')
    }
  })
})
