import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

import {expect, test} from 'vitest'

import {PROJECT_ROOT} from '../helpers/run-cli.js'

const bundle = join(PROJECT_ROOT, 'dist/lambda-bundle/processor/index.mjs')

/**
 * Loads the bundle the stack deploys in a fresh Node process, as the Lambda runtime would, and runs a script with it.
 */
function withBundle(script: string, env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const {handler} = await import(${JSON.stringify(bundle)});\n${script}`],
    {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        ...env,
      },
      encoding: 'utf8',
    },
  )
}

const processorEnv = {
  EVENTPULSE_PROCESSING_BUCKET: 'processing',
  EVENTPULSE_QUARANTINE_BUCKET: 'quarantine',
  EVENTPULSE_TABLE: 'catalog',
  EVENTPULSE_OUTCOMES_TABLE: 'outcomes',
  EVENTPULSE_HISTORY_TABLE: 'history',
  EVENTPULSE_HISTORY_RETENTION_SECONDS: '31536000',
  EVENTPULSE_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:outcomes',
  EVENTPULSE_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/failed',
}

test('the bundled handler loads on its own, and refuses events about another bucket with a structured log line', () => {
  const event = {
    'detail-type': 'Object Created',
    source: 'aws.s3',
    detail: {bucket: {name: 'elsewhere'}, object: {key: 'a+b.json', size: 2, etag: 'e', sequencer: '01'}},
  }
  const run = withBundle(
    `await handler(${JSON.stringify(event)}).then(() => console.log('accepted'), ` +
      `(error) => console.log('refused: ' + error.message))`,
    processorEnv,
  )
  expect(run.stderr).not.toMatch(/Error \[|SyntaxError|Cannot find/)
  expect(run.stdout).toContain('refused: the event is about bucket elsewhere, not the processing bucket')
})

test('the bundled handler names a missing environment variable', () => {
  const {EVENTPULSE_TABLE: _table, ...partial} = processorEnv
  const run = withBundle('', partial)
  expect(run.status).not.toBe(0)
  expect(run.stderr).toContain('The processor needs the environment variable EVENTPULSE_TABLE')
})
