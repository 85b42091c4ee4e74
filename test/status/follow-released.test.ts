import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resource} from '#aws/clients.js'
import {releaseEntry} from '#quarantine/actions.js'
import {resolveEntryArguments} from '#quarantine/entries.js'
import {releaseAndFollow, type ReleaseFlagValues} from '#status/follow-released.js'
import {adminOf, startTestPipeline, stopTestPipeline, type TestPipeline} from '../processor/helpers.js'

// `quarantine release` and `fix` in-process, against a local pipeline: entries put back, then (--wait) followed to
// their outcomes, with the lines, the counts and the exit status the commands print.

let t: TestPipeline
let admin: ReturnType<typeof adminOf>

beforeAll(async () => {
  t = await startTestPipeline()
  admin = adminOf(t.pipeline)
})
afterAll(() => stopTestPipeline(t))

const flags = (given: Partial<ReleaseFlagValues> = {}): ReleaseFlagValues => ({
  local: true,
  stack: 'EventPulse',
  'assume-role': false,
  yes: true,
  'dry-run': false,
  quiet: false,
  wait: true,
  timeout: '30s',
  ...given,
})

/** A command's output, kept: stdout lines and stderr lines. */
function output(json = false) {
  const said = {out: [] as string[], err: [] as string[]}
  return {
    said,
    output: {
      jsonEnabled: () => json,
      log: (line: string) => said.out.push(line),
      logToStderr: (line: string) => said.err.push(line),
    },
  }
}

/** Uploads an invalid record under `key`, lets the pipeline quarantine it, and returns its entry resolved. */
async function quarantinedEntry(key: string) {
  await t.upload(key, JSON.stringify({ArtistID: 'Low', ItemID: 'TRACK#Words', Year: 'nineteen'}))
  await t.pipeline.idle()
  return resolveEntryArguments(admin.target, [key])
}

const buckets = () => ({
  quarantine: resource(admin.target, 'quarantineBucket'),
  processing: resource(admin.target, 'processingBucket'),
})
const putBack = (mended?: string) => ({
  verb: 'release',
  pastTense: 'released',
  release: (entry: Parameters<typeof releaseEntry>[2]) =>
    releaseEntry(admin.s3, buckets(), entry, ['--local'], mended === undefined ? undefined : Buffer.from(mended)),
})
/** A valid record of its own key (another content under a stored key would be a duplicate). */
const valid = (title: string) => JSON.stringify({ArtistID: 'Low', ItemID: `TRACK#${title}`, Year: 1994})

describe('release, then follow', () => {
  it('a mended record is stored: one line for it, the counts, exit 0', async () => {
    const resolved = await quarantinedEntry('follow/mended.json')
    const {said, output: out} = output()
    const {result, exitStatus} = await releaseAndFollow(admin.target, resolved, putBack(valid('Mended')), {
      flags: flags(),
      timeoutMs: 30_000,
      output: out,
    })
    expect(exitStatus).toBe(0)
    expect(result.done).toHaveLength(1)
    expect(result.outcomes).toMatchObject([{key: 'follow/mended.json', state: 'stored'}])
    expect(said.out).toHaveLength(2)
    expect(said.out[0]).toMatch(/^stored {7}follow\/mended\.json {2}/)
    expect(said.out[1]).toBe('1 released: 1 stored, 0 quarantined again.')
  })

  it('with --quiet, a stored record gets no line of its own, only the counts', async () => {
    const resolved = await quarantinedEntry('follow/quiet.json')
    const {said, output: out} = output()
    const {exitStatus} = await releaseAndFollow(admin.target, resolved, putBack(valid('Quiet')), {
      flags: flags({quiet: true}),
      timeoutMs: 30_000,
      output: out,
    })
    expect(exitStatus).toBe(0)
    expect(said.out).toEqual(['1 released: 1 stored, 0 quarantined again.'])
  })

  it('a record released as it was is quarantined again: its line says so, exit 1', async () => {
    const resolved = await quarantinedEntry('follow/again.json')
    const {said, output: out} = output()
    const {result, exitStatus} = await releaseAndFollow(admin.target, resolved, putBack(), {
      flags: flags({quiet: true}),
      timeoutMs: 30_000,
      output: out,
    })
    expect(exitStatus).toBe(1)
    expect(result.outcomes).toMatchObject([{key: 'follow/again.json', state: 'quarantined', reason: 'schema'}])
    expect(said.out[0]).toMatch(/^quarantined {2}follow\/again\.json {2}/)
    expect(said.out[1]).toBe('1 released: 0 stored, 1 quarantined again.')
  })

  it('a record already stored exactly so is counted unchanged', async () => {
    const resolved = await quarantinedEntry('follow/unchanged.json')
    const {said, output: out} = output()
    const {exitStatus} = await releaseAndFollow(admin.target, resolved, putBack(valid('Mended')), {
      flags: flags(),
      timeoutMs: 30_000,
      output: out,
    })
    expect(exitStatus).toBe(0)
    expect(said.out[0]).toMatch(/^unchanged {4}follow\/unchanged\.json {2}/)
    expect(said.out[1]).toBe('1 released: 0 stored, 1 unchanged, 0 quarantined again.')
  })

  it('without --wait, only the release: no outcome looked for, no line printed, exit 0', async () => {
    const resolved = await quarantinedEntry('follow/no-wait.json')
    const {said, output: out} = output()
    const {result, exitStatus} = await releaseAndFollow(admin.target, resolved, putBack(), {
      flags: flags({wait: false}),
      timeoutMs: 30_000,
      output: out,
    })
    expect(exitStatus).toBe(0)
    expect(result.done).toHaveLength(1)
    expect(result.outcomes).toBeUndefined()
    expect(said.out).toEqual([])
  })

  it('an outcome that does not come in time: exit 4, the count still in flight, and how to look later', async () => {
    const resolved = await quarantinedEntry('follow/late.json')
    const {said, output: out} = output()
    // A release whose upload never reaches the pipeline: its key stays unknown.
    const lost = {verb: 'release', pastTense: 'released', release: async () => ({key: 'follow/never-uploaded.json'})}
    const {exitStatus} = await releaseAndFollow(admin.target, resolved, lost, {
      flags: flags({timeout: '1s'}),
      timeoutMs: 1_000,
      output: out,
    })
    expect(exitStatus).toBe(4)
    expect(said.out.at(-1)).toBe('1 released: 0 stored, 0 quarantined again, 1 still in flight.')
    expect(said.err.at(-1)).toBe(
      'Timed out after 1s waiting for outcomes; see them later with: eventpulse status follow/never-uploaded.json --local',
    )
  })

  it('a release that fails: exit 4 even when every other outcome is stored', async () => {
    const first = await quarantinedEntry('follow/fails-1.json')
    const second = await quarantinedEntry('follow/fails-2.json')
    const {output: out} = output()
    const action = {
      verb: 'release',
      pastTense: 'released',
      release: async (entry: Parameters<typeof releaseEntry>[2]) => {
        if (entry.sourceKey === 'follow/fails-2.json') throw new Error('The local S3 refused the write')
        return releaseEntry(admin.s3, buckets(), entry, ['--local'], Buffer.from(valid('Fails')))
      },
    }
    const {result, exitStatus} = await releaseAndFollow(admin.target, [...first, ...second], action, {
      flags: flags(),
      timeoutMs: 30_000,
      output: out,
    })
    expect(result.failed).toMatchObject([{message: expect.stringContaining('refused the write')}])
    expect(result.outcomes).toMatchObject([{key: 'follow/fails-1.json', state: 'stored'}])
    expect(exitStatus).toBe(4)
  })
})
