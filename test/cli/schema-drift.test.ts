import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {STACK_OUTPUTS} from '#contract/pipeline-contract.js'
import type {LocalPipeline} from '#local/pipeline.js'
import {writeLocalState} from '#local/state.js'
import {ITEM_SCHEMA_HASH} from '#schema/schema-hash.js'
import {isolatedXdg, runCli} from '../helpers/run-cli.js'
import {startPipelineForCli} from './helpers/local-pipeline.js'
import {tempDir} from '../helpers/temp-dirs.js'

// `upload` and `validate` warn once when they know the pipeline checks records with another schema than this CLI.

const OTHER_HASH = '0123456789abcdef'
const drift = (where: string) =>
  `Schema drift on ${where}: it checks records with schema ${OTHER_HASH}, this CLI with ${ITEM_SCHEMA_HASH}`
const occurrences = (text: string, part: string) => text.split(part).length - 1

let dir: string
beforeAll(() => {
  dir = tempDir('ep-drift-')
  for (const title of ['One', 'Two', 'Three'])
    writeFileSync(
      join(dir, `${title}.json`),
      JSON.stringify({ArtistID: 'Drift', ItemID: `TRACK#${title}`, EntityType: 'Track', Duration: 200}),
    )
})

describe('against the local pipeline', () => {
  let pipeline: LocalPipeline
  let cli: Awaited<ReturnType<typeof startPipelineForCli>>['cli']

  beforeAll(async () => {
    ;({pipeline, cli} = await startPipelineForCli())
  })
  afterAll(() => pipeline?.stop())

  /** The running pipeline says it checks with this schema (in memory too, so its own state writes say the same). */
  const pipelineSchema = (hash: string) => {
    pipeline.state.schemaHash = hash
    return writeLocalState(pipeline.layout.stateFile, pipeline.state)
  }
  afterEach(() => pipelineSchema(ITEM_SCHEMA_HASH))

  it('upload warns once, not per file, naming both hashes and the fix', async () => {
    await pipelineSchema(OTHER_HASH)
    const run = await cli(['upload', dir, '--prefix', 'text'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('3 uploaded')
    expect(occurrences(run.stderr, 'Warning: Schema drift')).toBe(1)
    expect(run.stderr).toContain(drift('local pipeline'))
    expect(run.stderr).toContain('restart `eventpulse local start` with this CLI')
  })

  it('upload --json puts the warning in the document, not on stdout beside it', async () => {
    await pipelineSchema(OTHER_HASH)
    const run = await cli(['upload', dir, '--prefix', 'json', '--json'])
    const document = JSON.parse(run.stdout)
    expect(document).toMatchObject({status: 0, warnings: [expect.stringContaining(drift('local pipeline'))]})
    expect(document.warnings).toHaveLength(1)
    expect(run.stderr).not.toContain('Schema drift')
  })

  it('validate --local warns the same way', async () => {
    await pipelineSchema(OTHER_HASH)
    const run = await cli(['validate', dir])
    expect(run.exitCode).toBe(0)
    expect(occurrences(run.stderr, drift('local pipeline'))).toBe(1)
  })

  it('with the same schema, neither warns', async () => {
    const upload = await cli(['upload', dir, '--prefix', 'same', '--json'])
    expect(JSON.parse(upload.stdout).warnings).toBeUndefined()
    expect(upload.stderr).not.toContain('Schema drift')
    const validate = await cli(['validate', dir])
    expect(validate.stderr).not.toContain('Schema drift')
  })
})

it('validate --local with the local pipeline stopped checks all the same, and says it could not compare schemas', async () => {
  const run = await runCli(['validate', dir, '--local'], {env: isolatedXdg()})
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toContain('Checked 3 files: 3 valid, 0 invalid.')
  expect(run.stderr).toContain('The local pipeline is not running: checked without comparing with its schema')
})

describe('validate against a deployed stack: offline, from the cached stack outputs', () => {
  // No credentials, and an endpoint that answers nothing (outputs are cached per endpoint): a call would fail the run.
  const endpoint = 'http://127.0.0.1:9'
  const env = {...isolatedXdg(), AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: endpoint}
  const cache = (stack: string, hash: string) =>
    writeStackOutputsCache({region: 'eu-west-1', stack, endpoint}, {[STACK_OUTPUTS.schemaHash]: hash}, env)

  it('warns when the cached outputs of the stack name another schema (plain runs and --json alike)', async () => {
    await cache('EventPulse', OTHER_HASH)
    const plain = await runCli(['validate', dir], {env})
    expect(plain.exitCode).toBe(0)
    expect(occurrences(plain.stderr, drift('stack EventPulse in eu-west-1'))).toBe(1)
    expect(plain.stderr).toContain('run `eventpulse deploy` with this CLI, or upgrade the CLI')

    const json = await runCli(['validate', dir, '--json'], {env})
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 0,
      result: {summary: {checked: 3, valid: 3}},
      warnings: [expect.stringContaining(drift('stack EventPulse in eu-west-1'))],
    })
    expect(json.stderr).not.toContain('Schema drift')

    await cache('EventPulse-dev', OTHER_HASH)
    const named = await runCli(['validate', dir, '--stack', 'EventPulse-dev', '--quiet'], {env})
    expect(named.stderr).toContain(drift('stack EventPulse-dev in eu-west-1'))
  })

  it('says nothing for a stack with the same schema, or one never cached', async () => {
    await cache('EventPulse', ITEM_SCHEMA_HASH)
    for (const args of [[dir], [dir, '--stack', 'NeverSeen']]) {
      const run = await runCli(['validate', ...args], {env})
      expect(run.exitCode).toBe(0)
      expect(run.stderr).toBe('')
    }
  })
})
