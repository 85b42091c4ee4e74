import {App, type Stage, Validations} from 'aws-cdk-lib'
import {AwsSolutionsChecks} from 'cdk-nag'

import {EventPulseStack} from './eventpulse-stack.js'
import type {EventPulseStackConfig} from './stack-config.js'

/** What the toolkit passes to an assembly builder (toolkit-lib's AssemblyBuilderProps, the part this app reads). */
export interface AssemblyBuilderInput {
  outdir?: string
  context?: Record<string, unknown>
  env?: Record<string, string | undefined>
}

export interface AppOptions {
  outdir?: string
  context?: Record<string, unknown>
  processorBundleDir?: string
  /** Check the synthesized stack with cdk-nag's AwsSolutions rules: an unacknowledged finding fails the synthesis. */
  nag?: boolean
}

/** The EventPulse CDK app with its one stack. */
export function createEventPulseApp(
  config: EventPulseStackConfig,
  options: AppOptions = {},
): {app: App; stack: EventPulseStack} {
  // No AWS::CDK::Metadata resource: nothing about the deployment is reported to AWS beyond the stack itself.
  // No autoSynth: the builder synthesizes explicitly, and an automatic one would leave a `beforeExit` listener on the
  // process for every synthesis (a MaxListenersExceededWarning where one process synthesizes many times).
  const app = new App({
    outdir: options.outdir,
    context: options.context,
    analyticsReporting: false,
    autoSynth: false,
  })
  const stack = new EventPulseStack(app, config.stackName, {
    stackName: config.stackName,
    env: config.account || config.region ? {account: config.account, region: config.region} : undefined,
    description:
      'EventPulse ingest pipeline: S3 -> EventBridge -> Lambda -> DynamoDB, with quarantine and notifications',
    config,
    processorBundleDir: options.processorBundleDir,
  })
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return {app, stack}
}

/**
 * The builder `toolkit.fromAssemblyBuilder()` runs in-process (no `cdk` subprocess), so `deploy` works from a
 * globally installed package. The account and region the toolkit resolved fill in what the config leaves open.
 */
export function eventPulseAssemblyBuilder(
  config: EventPulseStackConfig,
  options: Pick<AppOptions, 'processorBundleDir' | 'nag'> = {},
) {
  return async (props: AssemblyBuilderInput): Promise<ReturnType<Stage['synth']>> => {
    const {app} = createEventPulseApp(
      {
        ...config,
        account: config.account ?? props.env?.CDK_DEFAULT_ACCOUNT,
        region: config.region ?? props.env?.CDK_DEFAULT_REGION,
      },
      {outdir: props.outdir, context: props.context, processorBundleDir: options.processorBundleDir, nag: options.nag},
    )
    return app.synth()
  }
}
