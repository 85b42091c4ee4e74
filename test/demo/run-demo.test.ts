import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'

import {describe, expect, it} from 'vitest'

import {afterDemoLines, runDemo} from '#demo/run-demo.js'

/** What upload's own check says of the invalid examples (paths as from the project's folder, where the tests run). */
const REFUSED = [
  'examples/invalid/entity-type-mismatch.json:4:23  EntityType does not match ItemID "TRACK#The Prince": use {"S": "Track"}, or change the ItemID prefix [schema]',
  'examples/invalid/entity-type-mismatch.json:5:21  Duration must be a non-negative whole number, as {"N": "234"}, got {"N": "-3"} [schema]',
  'examples/invalid/features-bare-strings.json:4:22  Features[0] must be {"S": string}, got a bare string "Isoxo" [schema]',
  'examples/invalid/features-bare-strings.json:4:31  Features[1] must be {"S": string}, got a bare string "Jeremiah Red" [schema]',
  'examples/invalid/trailing-comma.json:4:1  not valid JSON: expected an attribute name in double quotes (is there a trailing comma?) [invalid-json]',
  'examples/invalid/unknown-attribute.json:4:3  unknown attribute "Genre": allowed attributes are ArtistID, ItemID, Title, EntityType, Duration, Streams, Year, Features [schema]',
].map((line) => `  refused by upload's check: ${line}`)

/** The demo in-process, with what it says, what --quiet keeps, and the progress it asks for, collected. */
async function demo(options: {signal?: AbortSignal} = {}) {
  const said: string[] = []
  const important: string[] = []
  const progress: string[] = []
  const result = await runDemo({
    say: (line) => said.push(line),
    important: (line) => important.push(line),
    progress: (total, label) => {
      progress.push(`${label} ${total}`)
      return {advance() {}, done() {}}
    },
    timeoutMs: 60_000,
    ...options,
  })
  return {result, said, important, progress}
}

describe('the demo, in-process', () => {
  it('stores the three valid examples, quarantines the four invalid ones and the duplicate, each as expected', async () => {
    const {result, said, important, progress} = await demo()
    expect(result.asExpected).toBe(true)
    expect(Object.fromEntries(result.files.map((file) => [file.key, file.outcome]))).toEqual({
      'valid/fred-again-actual-life.json': 'stored',
      'valid/knock2-feel-u-luv-me.json': 'stored',
      'valid/skrillex-rumble.json': 'stored',
      'invalid/entity-type-mismatch.json': 'quarantined: schema',
      'invalid/features-bare-strings.json': 'quarantined: schema',
      'invalid/trailing-comma.json': 'quarantined: invalid-json',
      'invalid/unknown-attribute.json': 'quarantined: schema',
      'demo/duplicate/skrillex-rumble-again.json': 'quarantined: duplicate',
    })
    expect(result.files.every((file) => file.asExpected && file.expected === file.outcome)).toBe(true)
    expect(result.quarantine.map((entry) => entry.sourceKey).sort()).toEqual([
      'demo/duplicate/skrillex-rumble-again.json',
      'invalid/entity-type-mismatch.json',
      'invalid/features-bare-strings.json',
      'invalid/trailing-comma.json',
      'invalid/unknown-attribute.json',
    ])
    // The throw-away pipeline's data is removed.
    expect(existsSync(result.dataDir)).toBe(false)

    // What the demo says, word for word, with what changes from run to run (folder, ports, times, entry ids) masked.
    const masked = said.map((line) =>
      line
        .replace(/eventpulse-demo-\w+/, 'eventpulse-demo-<id>')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, '<time>')
        .replace(/\/q-[0-9a-f]{16}\]/, '/q-<id>]')
        .replace(process.cwd(), '<project>'),
    )
    const stored = (key: string, item: string) => `  stored       ${key}  (${item}, <time>)`
    const quarantined = (key: string, why: string) => `  quarantined  ${key}  ${why}  [${key}/q-<id>]`
    expect(masked).toEqual([
      `Starting the local pipeline (data in ${tmpdir()}/eventpulse-demo-<id>) ...`,
      '  S3 at http://127.0.0.1:<port>, DynamoDB at http://127.0.0.1:<port>',
      '  The 8 examples, to try the other commands on: <project>/examples',
      '',
      'Uploading 7 of the 8 examples, valid and invalid records, and waiting for the outcomes',
      '  (the demo sends them anyway, as --no-validate would, to show what the pipeline does with them)',
      '',
      'Uploading the last example, a duplicate of a record stored just before, and waiting for the outcome',
      '',
      'Stored (3):',
      stored('valid/fred-again-actual-life.json', 'Fred again.. / ALBUM#Actual Life'),
      stored('valid/knock2-feel-u-luv-me.json', 'Knock2 / TRACK#FeelULuvMe'),
      stored('valid/skrillex-rumble.json', 'Skrillex / TRACK#Rumble'),
      '',
      'Quarantined, and why (5):',
      quarantined(
        'invalid/entity-type-mismatch.json',
        'schema: line 4, column 23: EntityType does not match ItemID "TRACK#The Prince": use {"S": "Track"}, or change the ItemID prefix (and 1 more)',
      ),
      quarantined(
        'invalid/features-bare-strings.json',
        'schema: line 4, column 22: Features[0] must be {"S": string}, got a bare string "Isoxo" (and 1 more)',
      ),
      quarantined(
        'invalid/trailing-comma.json',
        'invalid-json: line 4, column 1: not valid JSON: expected an attribute name in double quotes (is there a trailing comma?)',
      ),
      quarantined(
        'invalid/unknown-attribute.json',
        'schema: line 4, column 3: unknown attribute "Genre": allowed attributes are ArtistID, ItemID, Title, EntityType, Duration, Streams, Year, Features',
      ),
      quarantined(
        'demo/duplicate/skrillex-rumble-again.json',
        'duplicate: ArtistID "Skrillex", ItemID "TRACK#Rumble" is already stored (from valid/skrillex-rumble.json)',
      ),
      '',
      'The quarantine holds 5 entries: the ones above. The demo stops its pipeline now; see below to look at such entries yourself.',
      'Stopping the local pipeline.',
    ])
    expect(result.files.find((file) => file.key === 'invalid/trailing-comma.json')).toMatchObject({
      reason: 'invalid-json',
    })
    expect(important.filter((line) => line.startsWith("  refused by upload's check: "))).toEqual(REFUSED)
    expect(important.at(-1)).toBe('8 examples: 3 stored, 5 quarantined, each as expected.')
    expect(progress).toEqual(['Uploading 7', 'Processing 7', 'Uploading 1', 'Processing 1'])
  })

  it('stops early when interrupted, saying how far it got, and removes its data all the same', async () => {
    const controller = new AbortController()
    controller.abort()
    const error = await demo({signal: controller.signal}).catch((caught: unknown) => caught)
    expect(error).toMatchObject({exitCode: 130})
    expect((error as Error).message).toBe(
      'Interrupted (Ctrl-C): 0 of the 8 examples had their outcome; the demo pipeline is stopped and its data removed.',
    )
  })

  it('tells how to see the same with the other commands afterwards', () => {
    const lines = afterDemoLines()
    expect(lines[0]).toBe(
      'To see the same with the other commands, start a pipeline of your own: `eventpulse local start` in one',
    )
    expect(lines[2]).toMatch(
      /^ {2}eventpulse upload \S*examples\/valid \S*examples\/invalid --local --no-validate --wait$/,
    )
    expect(lines[3]).toBe('  eventpulse quarantine list --local')
  })
})
