import {join} from 'node:path'

import {afterEach, beforeAll, beforeEach, expect, it, vi} from 'vitest'

import {resolveDeployConfig} from '#deploy/config.js'
import {deployStack} from '#deploy/deploy.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {FIRST_SYNTH_TIMEOUT_MS, stubProcessorBundle} from '../infra/synth.js'
import {FakeAws, REGION} from './fake-aws.js'
import {tempDir} from '../helpers/temp-dirs.js'

// A stack whose findings nobody acknowledged: what a change that forgot its acknowledgement would deploy.
vi.mock('../../infra/nag-acknowledgements.js', () => ({acknowledgeNagFindings: () => {}}))
// Its one test makes the worker's first CDK synth.
vi.setConfig({testTimeout: FIRST_SYNTH_TIMEOUT_MS})

let captured = ''
let aws: FakeAws
beforeAll(() => {
  const home = tempDir('eventpulse-nag-')
  process.env.HOME = home
  process.env.XDG_CACHE_HOME = join(home, 'cache')
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
})
beforeEach(() => {
  aws = new FakeAws().install()
})
afterEach(() => aws.restore())

it('stops the deploy on a cdk-nag finding nobody acknowledged, showing it, before any change set (exit 1)', async () => {
  const error = await deployStack({
    config: resolveDeployConfig({stack: 'NagTest', region: REGION}),
    yes: true,
    assemblyDir: tempDir('eventpulse-asm-'),
    credentials: aws.credentials(),
    processorBundleDir: stubProcessorBundle(),
    stackEventPollingInterval: 1,
    write: (text) => (captured += text),
  }).catch((e: unknown) => e)

  expect(error).toBeInstanceOf(CliError)
  expect((error as CliError).exitCode).toBe(ExitCode.Negative)
  expect((error as CliError).code).toBe('NagFindings')
  expect((error as CliError).message).toMatch(/^cdk-nag \(AwsSolutions\) found \d+ problems/)
  expect((error as CliError).hint).toContain('Nothing was deployed')
  // Each finding was shown, with how to acknowledge it.
  expect(captured).toContain("Acknowledge with 'AwsSolutions::AwsSolutions-S1'")
  expect(captured).toContain('NagTest/Storage/ProcessingBucket/Resource')
  expect(aws.commands('CloudFormation')).not.toContain('CloudFormation CreateChangeSet')
})
