import {createHash} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ListObjectsCommand, type ListObjectsCommandOutput} from '@aws-sdk/client-s3'
import confirm from '@inquirer/confirm'
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import type {PipelineTarget} from '#aws/clients.js'
import {clearDeadLetters, clearExitStatus} from '#dead-letters/clear.js'
import {
  type DeadLetter,
  type DeadLetterSource,
  incompleteLines,
  letterLine,
  listDeadLetters,
} from '#dead-letters/letters.js'
import {localFileSource} from '#dead-letters/local-file.js'
import {deadLetterSource} from '#dead-letters/source.js'
import {localDataRoot} from '#local/state.js'
import {s3ObjectCreatedEvent} from '#processor/event.js'
import {isolatedXdg} from '../helpers/run-cli.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline} from '../processor/helpers.js'
import {pretendTerminal, restoreTerminal} from '../helpers/terminal.js'

// The local pipeline's dead-letter file, in-process against a running pipeline (its emulators, and its control server
// that rewrites the file): each kind of letter listed and told, and `clear` removing only what is safe to remove. The
// file is written by hand, line by line, so that every shape a letter can take is there; events are dropped (none is
// delivered), so the objects uploaded wait in the processing bucket.

vi.mock('@inquirer/confirm', () => ({default: vi.fn()}))

let t: TestPipeline
let target: PipelineTarget
let source: DeadLetterSource
let dataDir: string
const NOW = new Date('2026-12-01T12:00:00.000Z')
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString()
const etags: Record<string, string> = {}

beforeAll(async () => {
  // The state file `--local` commands read, in a home of this test's own.
  vi.stubEnv('XDG_DATA_HOME', isolatedXdg().XDG_DATA_HOME!)
  dataDir = localDataRoot()
  t = await startTestPipeline({dataDir, writeState: true, dropEventRatio: 1, sweepEverySeconds: 3600})
  target = adminOf(t.pipeline).target
  source = localFileSource(t.pipeline.state)
  for (const key of ['dl/waiting.json', 'dl/replaced.json', 'dl/no-etag.json', 'dl/a b.json', 'dl/plus+sign.json'])
    etags[key] = await t.upload(key, `{"ArtistID":"X","ItemID":"${key}"}`)
  all = makeLines()
})

afterAll(async () => {
  await stopTestPipeline(t)
  vi.unstubAllEnvs()
})

const event = (key: string, etag: string) =>
  s3ObjectCreatedEvent({account: '0', region: 'us-east-1', bucket: 'eventpulse-processing', key, size: 1, etag})
/** An event as it comes with its key not URL-encoded, or with no ETag: written by hand. */
const rawEvent = (key: string, etag?: string) => ({
  version: '0',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: {bucket: {name: 'eventpulse-processing'}, object: {key, size: 1, ...(etag ? {etag} : {})}},
})
const record = (body: unknown, at: string, attempts: number, name: string, message: string) =>
  JSON.stringify({at, attempts, error: {name, message, transient: false}, event: body})

/** The file's lines, by what they are: each letter a case of its own (made once: an event has an id and a time). */
const makeLines = () => ({
  waiting: record(
    event('dl/waiting.json', etags['dl/waiting.json']),
    ago(45),
    3,
    'InternalError',
    'We encountered an internal error',
  ),
  replaced: record(event('dl/replaced.json', 'c'.repeat(32)), ago(750), 1, 'AccessDenied', ''),
  noEtag: record(rawEvent('dl/no-etag.json'), ago(11_105), 2, '', 'Socket hang up'),
  gone: record(event('dl/gone.json', 'd'.repeat(32)), ago(59), 3, '', ''),
  encoded: record(event('dl/a b.json', etags['dl/a b.json']), ago(61), 3, 'Error', 'x'),
  raw: record(rawEvent('dl/plus+sign.json', etags['dl/plus+sign.json']), ago(3600), 3, 'Error', 'y'),
  someGone: record(
    [event('dl/gone-too.json', 'e'.repeat(32)), event('dl/waiting.json', etags['dl/waiting.json'])],
    ago(120),
    3,
    'Error',
    'z',
  ),
  sweepRun: record({eventpulse: 'sweep'}, ago(86_400 + 4 * 3600 + 59), 1, 'TimeoutError', 'out of time'),
  notAnEvent: record({hello: 'world'}, 'yesterday', 1, 'InvalidEventError', 'not an S3 event'),
  noEvents: record([], new Date(NOW.getTime() + 30_000).toISOString(), 1, 'InvalidEventError', 'empty'),
  cutShort: '{"at":"2026-12-01T',
})
let all: ReturnType<typeof makeLines>
const lines = () => all
/** The target, with `seen` told of each listing of the processing bucket (its prefix and answer) before it is used. */
const listingSeen = (seen: (prefix: string, answer: ListObjectsCommandOutput) => void): PipelineTarget => ({
  ...target,
  s3: Object.create(target.s3, {
    send: {
      value: async (command: ListObjectsCommand) => {
        const answer = await target.s3.send(command)
        if (command instanceof ListObjectsCommand) seen(command.input.Prefix!, answer)
        return answer
      },
    },
  }),
})
const idOf = (line: string) => createHash('sha256').update(line).digest('hex').slice(0, 16)
const writeLetters = (chosen: string[]) =>
  writeFile(t.pipeline.state.deadLetterFile, chosen.map((line) => `${line}\n`).join(''))
const fileLines = async () => (await readFile(t.pipeline.state.deadLetterFile, 'utf8')).split('\n').filter(Boolean)

describe('listing the local dead-letter file', () => {
  it('each letter with what became of its objects, its error, age and attempts, in the order of the file', async () => {
    await writeLetters(Object.values(all))
    // Each key is looked up once, however many letters name it (dl/waiting.json: two); the key as the event gave it
    // only when the decoded one names no object.
    const listed: string[] = []
    const counting = listingSeen((prefix) => listed.push(prefix))
    const listing = await listDeadLetters(counting, source, NOW)
    expect(listed.sort()).toEqual([
      'dl%2Fgone-too.json',
      'dl%2Fgone.json',
      'dl/a b.json',
      'dl/gone-too.json',
      'dl/gone.json',
      'dl/no-etag.json',
      'dl/plus sign.json',
      'dl/plus+sign.json',
      'dl/replaced.json',
      'dl/waiting.json',
    ])
    const file = join(dataDir, 'dead-letter.jsonl')
    expect(listing.places).toEqual([{place: 'dead-letter-file', where: file, listed: 11, complete: true}])
    expect(listing.count).toBe(11)
    const of = (line: string, letter: Omit<DeadLetter, 'place' | 'id'>) => ({
      place: 'dead-letter-file',
      id: idOf(line),
      ...letter,
    })
    expect(listing.letters).toEqual([
      of(all.waiting, {
        kind: 'objects',
        objects: [{key: 'dl/waiting.json', etag: etags['dl/waiting.json'], state: 'waiting'}],
        error: {code: 'InternalError', message: 'We encountered an internal error'},
        at: '2026-12-01T11:59:15.000Z',
        ageSeconds: 45,
        attempts: 3,
        clearable: false,
      }),
      of(all.replaced, {
        kind: 'objects',
        objects: [
          {key: 'dl/replaced.json', etag: 'c'.repeat(32), state: 'replaced', waitingEtag: etags['dl/replaced.json']},
        ],
        error: {code: 'AccessDenied', message: ''},
        at: '2026-12-01T11:47:30.000Z',
        ageSeconds: 750,
        attempts: 1,
        clearable: true,
      }),
      of(all.noEtag, {
        kind: 'objects',
        objects: [{key: 'dl/no-etag.json', etag: undefined, state: 'waiting'}],
        error: {code: '', message: 'Socket hang up'},
        at: '2026-12-01T08:54:55.000Z',
        ageSeconds: 11_105,
        attempts: 2,
        clearable: false,
      }),
      of(all.gone, {
        kind: 'objects',
        objects: [{key: 'dl/gone.json', etag: 'd'.repeat(32), state: 'gone'}],
        error: {code: '', message: ''},
        at: '2026-12-01T11:59:01.000Z',
        ageSeconds: 59,
        attempts: 3,
        clearable: true,
      }),
      of(all.encoded, {
        kind: 'objects',
        objects: [{key: 'dl/a b.json', etag: etags['dl/a b.json'], state: 'waiting'}],
        error: {code: 'Error', message: 'x'},
        at: '2026-12-01T11:58:59.000Z',
        ageSeconds: 61,
        attempts: 3,
        clearable: false,
      }),
      // "+" decodes to a space, but the object is stored under the key as the event gave it.
      of(all.raw, {
        kind: 'objects',
        objects: [{key: 'dl/plus+sign.json', etag: etags['dl/plus+sign.json'], state: 'waiting'}],
        error: {code: 'Error', message: 'y'},
        at: '2026-12-01T11:00:00.000Z',
        ageSeconds: 3600,
        attempts: 3,
        clearable: false,
      }),
      of(all.someGone, {
        kind: 'objects',
        objects: [
          {key: 'dl/gone-too.json', etag: 'e'.repeat(32), state: 'gone'},
          {key: 'dl/waiting.json', etag: etags['dl/waiting.json'], state: 'waiting'},
        ],
        error: {code: 'Error', message: 'z'},
        at: '2026-12-01T11:58:00.000Z',
        ageSeconds: 120,
        attempts: 3,
        clearable: false,
      }),
      of(all.sweepRun, {
        kind: 'sweep-run',
        objects: [],
        error: {code: 'TimeoutError', message: 'out of time'},
        at: '2026-11-30T07:59:01.000Z',
        ageSeconds: 100_859,
        attempts: 1,
        clearable: true,
      }),
      of(all.notAnEvent, {
        kind: 'unreadable',
        objects: [],
        error: {code: 'InvalidEventError', message: 'not an S3 event'},
        at: undefined,
        ageSeconds: undefined,
        attempts: 1,
        clearable: false,
      }),
      // Written after now (a clock ahead): no negative age.
      of(all.noEvents, {
        kind: 'unreadable',
        objects: [],
        error: {code: 'InvalidEventError', message: 'empty'},
        at: '2026-12-01T12:00:30.000Z',
        ageSeconds: 0,
        attempts: 1,
        clearable: false,
      }),
      of(all.cutShort, {
        kind: 'unreadable',
        objects: [],
        error: {code: undefined, message: undefined},
        at: undefined,
        ageSeconds: undefined,
        attempts: undefined,
        clearable: false,
      }),
    ])
    expect(listing.letters.map(letterLine)).toEqual([
      'dead-letter-file  45s ago  dl/waiting.json (still waiting)  InternalError: We encountered an internal error (3 attempts)',
      'dead-letter-file  12m ago  dl/replaced.json (gone; a newer upload of the key waits)  AccessDenied (1 attempt)',
      'dead-letter-file  3h5m ago  dl/no-etag.json (still waiting)  Socket hang up (2 attempts)',
      'dead-letter-file  59s ago  dl/gone.json (gone)  no error recorded (3 attempts)',
      'dead-letter-file  1m ago  dl/a b.json (still waiting)  Error: x (3 attempts)',
      'dead-letter-file  1h ago  dl/plus+sign.json (still waiting)  Error: y (3 attempts)',
      'dead-letter-file  2m ago  dl/gone-too.json (gone), dl/waiting.json (still waiting)  Error: z (3 attempts)',
      'dead-letter-file  1d4h ago  (a sweep run that failed; the next run replaces it)  TimeoutError: out of time (1 attempt)',
      'dead-letter-file  age unknown  (not an S3 event: see --json)  InvalidEventError: not an S3 event (1 attempt)',
      'dead-letter-file  0s ago  (not an S3 event: see --json)  InvalidEventError: empty (1 attempt)',
      'dead-letter-file  age unknown  (not an S3 event: see --json)  no error recorded',
    ])
    expect(incompleteLines(listing.places)).toEqual([])
  })

  it('no file: nothing listed, complete', async () => {
    const listing = await listDeadLetters(
      target,
      localFileSource({...t.pipeline.state, deadLetterFile: join(dataDir, 'none.jsonl')}),
    )
    expect(listing).toEqual({
      places: [{place: 'dead-letter-file', where: join(dataDir, 'none.jsonl'), listed: 0, complete: true}],
      count: 0,
      letters: [],
    })
  })

  it('a --local target reads the file of the pipeline that runs, found by its state file', async () => {
    await writeLetters([lines().gone])
    const {places, letters} = await deadLetterSource({...target, local: true}).read()
    expect(places).toEqual([
      {place: 'dead-letter-file', where: join(dataDir, 'dead-letter.jsonl'), listed: 1, complete: true},
    ])
    expect(letters.map((letter) => letter.id)).toEqual([idOf(lines().gone)])
  })

  it('reads each line as it is: a line cut short has no event, error, time or attempts', async () => {
    await writeLetters([lines().replaced, lines().cutShort])
    expect((await source.read()).letters).toEqual([
      {
        place: 'dead-letter-file',
        id: idOf(lines().replaced),
        body: JSON.parse(lines().replaced).event,
        error: {code: 'AccessDenied', message: ''},
        at: new Date('2026-12-01T11:47:30.000Z'),
        attempts: 1,
      },
      {
        place: 'dead-letter-file',
        id: idOf(lines().cutShort),
        body: undefined,
        error: {code: undefined, message: undefined},
        at: undefined,
        attempts: undefined,
      },
    ])
  })

  it('an object listed without an ETag (some S3 implementations) may be that very upload: still waiting', async () => {
    await writeLetters([lines().replaced])
    const withoutEtags = listingSeen((_, answer) => {
      for (const object of answer.Contents ?? []) delete object.ETag
    })
    const {letters} = await listDeadLetters(withoutEtags, source, NOW)
    expect(letters.map((letter) => [letter.objects, letter.clearable])).toEqual([
      [[{key: 'dl/replaced.json', etag: 'c'.repeat(32), state: 'waiting'}], false],
    ])
  })
})

afterEach(() => {
  restoreTerminal()
  vi.mocked(confirm).mockReset()
})

describe('clearing the local dead-letter file', () => {
  const KEEPING =
    'Keeping 2 dead letters: an object of each still waits in the processing bucket (the sweep, or a redrive, ' +
    'handles it), or it is not an S3 event:'
  const clear = async (options: {yes?: boolean; dryRun?: boolean}, from: DeadLetterSource = source) => {
    const said: string[] = []
    const result = await clearDeadLetters(target, from, {
      yes: options.yes ?? false,
      dryRun: options.dryRun ?? false,
      say: (line) => said.push(line),
    })
    return {result, said}
  }
  const chosen = () => {
    const {waiting, replaced, gone, sweepRun, notAnEvent} = lines()
    return [waiting, replaced, gone, sweepRun, notAnEvent]
  }

  it('--dry-run names what it keeps and what it would remove, and removes nothing', async () => {
    await writeLetters(chosen())
    const {result, said} = await clear({dryRun: true})
    expect(said.map((line) => line.replace(/ {2}\S+ ago {2}| {2}age unknown {2}/, '  AGE  '))).toEqual([
      KEEPING,
      '  dead-letter-file  AGE  dl/waiting.json (still waiting)  InternalError: We encountered an internal error (3 attempts)',
      '  dead-letter-file  AGE  (not an S3 event: see --json)  InvalidEventError: not an S3 event (1 attempt)',
      'Would remove 3 dead letters with nothing left waiting:',
      '  dead-letter-file  AGE  dl/replaced.json (gone; a newer upload of the key waits)  AccessDenied (1 attempt)',
      '  dead-letter-file  AGE  dl/gone.json (gone)  no error recorded (3 attempts)',
      '  dead-letter-file  AGE  (a sweep run that failed; the next run replaces it)  TimeoutError: out of time (1 attempt)',
    ])
    expect(result).toMatchObject({removed: [], missing: [], failed: [], dryRun: true, declined: false})
    expect(result.kept.map((letter) => letter.id)).toEqual([idOf(chosen()[0]), idOf(chosen()[4])])
    expect(clearExitStatus(result)).toBe(0)
    expect(await fileLines()).toEqual(chosen())
    expect(confirm).not.toHaveBeenCalled()
  })

  it('without --yes and without a terminal refuses (exit 2); with one, asks, and a no removes nothing (exit 1)', async () => {
    await writeLetters(chosen())
    pretendTerminal(false)
    await expect(clear({})).rejects.toMatchObject({
      exitCode: 2,
      code: 'ConfirmationRequired',
      message: 'Refusing to remove dead letters without confirmation: no terminal to ask on.',
    })
    pretendTerminal(true)
    vi.mocked(confirm).mockResolvedValue(false as never)
    const {result, said} = await clear({})
    expect(vi.mocked(confirm).mock.calls[0][0]).toMatchObject({message: 'Remove 3 dead letters?'})
    expect(said.at(-1)).toBe('Nothing removed.')
    expect(said.at(-5)).toBe('Removing 3 dead letters with nothing left waiting:')
    expect(result).toMatchObject({removed: [], declined: true, dryRun: false})
    expect(clearExitStatus(result)).toBe(1)
    expect(await fileLines()).toEqual(chosen())
  })

  it('a yes (or --yes) removes only the letters with nothing left waiting, through the running pipeline', async () => {
    const [waiting, replaced, gone, sweepRun, notAnEvent] = chosen()
    await writeLetters(chosen())
    pretendTerminal(true)
    vi.mocked(confirm).mockResolvedValue(true as never)
    const {result, said} = await clear({})
    expect(result).toMatchObject({
      removed: [idOf(replaced), idOf(gone), idOf(sweepRun)],
      missing: [],
      failed: [],
      dryRun: false,
      declined: false,
    })
    expect(said.at(-1)).toBe('Removed 3 of 3 dead letters.')
    expect(clearExitStatus(result)).toBe(0)
    expect(await fileLines()).toEqual([waiting, notAnEvent])

    // Again: only what is kept, and nothing to clear.
    const again = await clear({yes: true})
    expect(again.said[0]).toBe(KEEPING)
    expect(again.said.slice(3)).toEqual(['Nothing to clear.'])
    expect(again.result).toMatchObject({removed: [], declined: false})
    expect(await fileLines()).toEqual([waiting, notAnEvent])
  })

  it('tells a letter that failed to go, and one someone else removed first (exit 4); and a listing cut short', async () => {
    const {waiting, replaced, gone, sweepRun} = lines()
    await writeLetters([waiting, replaced, gone, sweepRun])
    const failing: DeadLetterSource = {
      async read() {
        const read = await source.read()
        return {places: [{...read.places[0], complete: false, inFlight: 2}], letters: read.letters}
      },
      async remove() {
        return {removed: [idOf(replaced)], failed: [{id: idOf(gone), message: 'disk full'}]}
      },
    }
    const {result, said} = await clear({yes: true}, failing)
    expect(said[0]).toBe(
      'dead-letter-file: listed 4 of about ? messages; the listing may be incomplete (run it again).',
    )
    expect(said[1]).toBe('dead-letter-file: 2 messages were being read by someone else and are not listed.')
    expect(said[2]).toBe(
      'Keeping 1 dead letter: an object of each still waits in the processing bucket (the sweep, or a redrive, ' +
        'handles it), or it is not an S3 event:',
    )
    expect(said.slice(-3)).toEqual([
      `failed to remove ${idOf(gone)}: disk full`,
      `1 dead letter no longer found (removed, or being read, by someone else): ${idOf(sweepRun)}`,
      'Removed 1 of 3 dead letters.',
    ])
    expect(result).toMatchObject({
      removed: [idOf(replaced)],
      failed: [{id: idOf(gone), message: 'disk full'}],
      missing: [idOf(sweepRun)],
    })
    expect(clearExitStatus(result)).toBe(4)
  })

  it('one letter to remove, two no longer found: singular and plural', async () => {
    const {gone, replaced, sweepRun} = lines()
    await writeLetters([gone])
    const {said} = await clear({yes: true})
    expect(said).toEqual([
      'Removing 1 dead letter with nothing left waiting:',
      expect.stringMatching(/^ {2}dead-letter-file {2}\S+ ago {2}dl\/gone\.json \(gone\)/),
      'Removed 1 of 1 dead letter.',
    ])
    await writeLetters([gone, replaced, sweepRun])
    const nothing = await clear({yes: true}, {...source, remove: async () => ({removed: [], failed: []})})
    expect(nothing.said.at(-2)).toBe(
      `3 dead letters no longer found (removed, or being read, by someone else): ${[gone, replaced, sweepRun].map(idOf).join(', ')}`,
    )
    expect(nothing.said.at(-1)).toBe('Removed 0 of 3 dead letters.')
  })
})
