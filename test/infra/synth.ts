import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Stack} from 'aws-cdk-lib'
import {Template} from 'aws-cdk-lib/assertions'

import {createEventPulseApp} from '../../infra/app.js'
import {defaultStackConfig, type EventPulseStackConfig} from '../../infra/stack-config.js'
import {tempDir} from '../helpers/temp-dirs.js'

/** For a test that makes a process's first CDK synth: seconds on idle cores, over a minute on busy ones. */
export const FIRST_SYNTH_TIMEOUT_MS = 180_000

/** A stand-in processor bundle: the template tests are about the stack, not the handler's code. */
export function stubProcessorBundle(): string {
  const dir = tempDir('eventpulse-bundle-')
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => {}\n')
  return dir
}

export interface Synthesized {
  template: Template
  /** The cdk-nag report when unacknowledged findings failed the synth, else undefined. */
  nagFailure?: string
}

/**
 * Synthesizes the stack once with cdk-nag's AwsSolutions checks, as every synth in the tests does. `addToStack` lets
 * a test add resources of its own first (to show that a finding nobody acknowledged fails the synth).
 */
export function synthesize(
  overrides: Partial<EventPulseStackConfig> = {},
  addToStack?: (stack: Stack) => void,
): Synthesized {
  const {app, stack} = createEventPulseApp(defaultStackConfig({region: 'eu-west-1', ...overrides}), {
    outdir: tempDir('eventpulse-cdkout-'),
    processorBundleDir: stubProcessorBundle(),
    nag: true,
  })
  addToStack?.(stack)
  try {
    const assembly = app.synth()
    return {template: Template.fromJSON(assembly.getStackByName(stack.stackName).template)}
  } catch (error) {
    return {template: Template.fromJSON({Resources: {}}), nagFailure: (error as Error).message}
  }
}
