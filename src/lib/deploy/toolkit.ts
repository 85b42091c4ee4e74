import type * as ToolkitLib from '@aws-cdk/toolkit-lib'

import {eventPulseAssemblyBuilder} from '../../../infra/app.js'
import {CliError, toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import type {DeployConfig} from './config.js'
import {type ApprovalAnswer, CliIoHost} from './io-host.js'

export type ToolkitLibrary = typeof ToolkitLib

/** The toolkit takes half a second to import: only `deploy` and `destroy` load it, and only when they run. */
export function loadToolkitLibrary(): Promise<ToolkitLibrary> {
  return import('@aws-cdk/toolkit-lib')
}

export interface ToolkitSessionOptions {
  config: DeployConfig
  answer: ApprovalAnswer
  /** Where the cloud assembly is written. */
  outdir: string
  /** Synthesize without credentials and without any AWS call (`deploy --dry-run`). */
  offline?: boolean
  /** Credentials for the toolkit; default: the AWS CLI's chain for the configured profile. */
  baseCredentials?: ToolkitLib.IBaseCredentialsProvider
  verbose?: boolean
  write?: (text: string) => void
  /** The processor bundle to deploy; default: the one `npm run build` wrote. */
  processorBundleDir?: string
}

/** What deploy and destroy are both asked with: the stack, where its assembly goes, and how to talk to the user. */
export interface StackRequest {
  config: DeployConfig
  /** Answers every question with yes (--yes). */
  yes: boolean
  assemblyDir: string
  write?: (text: string) => void
  verbose?: boolean
  /** Replaced by tests: the credentials the toolkit uses, the processor bundle, how often stack events are polled. */
  baseCredentials?: ToolkitLib.IBaseCredentialsProvider
  processorBundleDir?: string
  stackEventPollingInterval?: number
}

/** Opens the toolkit session for a deploy or destroy request; `answer` decides the toolkit's questions. */
export function openSessionFor(
  request: StackRequest,
  write: (text: string) => void,
  answer: ApprovalAnswer,
): Promise<ToolkitSession> {
  return openToolkitSession({
    config: request.config,
    outdir: request.assemblyDir,
    baseCredentials: request.baseCredentials,
    processorBundleDir: request.processorBundleDir,
    verbose: request.verbose,
    write,
    answer,
  })
}

export interface ToolkitSession {
  lib: ToolkitLibrary
  toolkit: ToolkitLib.Toolkit
  source: ToolkitLib.ICloudAssemblySource
  stacks: ToolkitLib.StackSelector
}

/**
 * A toolkit whose I/O is the CLI's, and the bundled app as its assembly source, built in-process (no `cdk` subprocess).
 */
export async function openToolkitSession(options: ToolkitSessionOptions): Promise<ToolkitSession> {
  const lib = await loadToolkitLibrary()
  const {config} = options
  const baseCredentials = options.offline
    ? lib.BaseCredentials.none()
    : (options.baseCredentials ??
      lib.BaseCredentials.awsCliCompatible({profile: config.profile, defaultRegion: config.region}))
  const toolkit = new lib.Toolkit({
    ioHost: new CliIoHost({answer: options.answer, verbose: options.verbose, write: options.write}),
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    emojis: false,
    sdkConfig: {baseCredentials},
  })
  const source = await toolkit.fromAssemblyBuilder(
    eventPulseAssemblyBuilder(config, {processorBundleDir: options.processorBundleDir}),
    {
      outdir: options.outdir,
      // The app reads no context and looks nothing up: nothing from cdk.json or ~/.cdk.json may change what is
      // deployed.
      contextStore: new lib.MemoryContext(),
      lookups: false,
      resolveDefaultEnvironment: !options.offline,
    },
  )
  return {
    lib,
    toolkit,
    source,
    stacks: {strategy: lib.StackSelectionStrategy.PATTERN_MUST_MATCH_SINGLE, patterns: [config.stackName]},
  }
}

/** The error and every error it was caused by, outermost first. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (
    let current = error;
    current !== undefined && current !== null && !chain.includes(current);
    current = (current as {cause?: unknown}).cause
  )
    chain.push(current)
  return chain
}

/** The bootstrap problem behind a failed deployment (missing or outdated CDKToolkit stack), if that is what it was. */
export function findBootstrapError(lib: ToolkitLibrary, error: unknown): ToolkitLib.BootstrapError | undefined {
  return causeChain(error).find((e) => lib.ToolkitError.isBootstrapError(e)) as ToolkitLib.BootstrapError | undefined
}

/** Turns a toolkit failure into what the user sees: missing credentials exit 3, AWS failures exit 4. */
export function explainToolkitError(lib: ToolkitLibrary, error: unknown): unknown {
  const chain = causeChain(error)
  // Our own errors raised inside the assembly builder come back wrapped by the toolkit.
  const ours = chain.find((e) => e instanceof CliError)
  if (ours) return ours
  const message = (error as Error)?.message ?? String(error)
  if (chain.some((e) => lib.ToolkitError.isAuthenticationError(e)))
    return new CliError(message, {
      exitCode: ExitCode.Credentials,
      code: 'NoCredentials',
      cause: error,
      hint:
        'No usable AWS credentials: pass --profile, set AWS_PROFILE or the AWS_* variables, ' +
        'or sign in (aws sso login).',
    })
  const credentialFailure = chain.map(toFailure).find((f) => f.exitCode === ExitCode.Credentials)
  if (credentialFailure)
    return new CliError(message, {
      exitCode: ExitCode.Credentials,
      code: credentialFailure.code,
      hint: credentialFailure.hint,
      cause: error,
    })
  if (lib.ToolkitError.isAssemblyError(error)) return error
  if (lib.ToolkitError.isToolkitError(error) || chain.some((e) => toFailure(e).exitCode === ExitCode.Aws))
    return new CliError(message, {exitCode: ExitCode.Aws, code: (error as Error).name || 'DeployFailed', cause: error})
  return error
}
