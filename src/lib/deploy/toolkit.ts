import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type * as ToolkitLib from '@aws-cdk/toolkit-lib'
import type {AwsCredentialIdentityProvider} from '@smithy/types'

import {baseCredentials} from '#aws/credentials.js'
import {createRequestHandler} from '#aws/http.js'
import {configuredRegion} from '#aws/profile.js'
import {CliError, toFailure} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {promptMfaCode} from '#terminal/mfa-prompt.js'
import type {DeployConfig} from './config.js'
import {type ApprovalAnswer, CliIoHost} from './io-host.js'

export type ToolkitLibrary = typeof ToolkitLib

/**
 * The toolkit takes half a second or more to import, the CDK app (aws-cdk-lib) more: only `deploy` and `destroy` load
 * them, and only once they know that they will synthesize.
 */
export function loadToolkitLibrary(): Promise<ToolkitLibrary> {
  return import('@aws-cdk/toolkit-lib')
}

/** Credentials that STS has accepted, for the account they belong to, and the region to deploy to by default. */
export interface CheckedCredentials {
  provider: AwsCredentialIdentityProvider
  account: string
  /** Who they are (STS's caller ARN): the deployer, the one principal besides the stack's roles that may write to the buckets. */
  arn?: string
  region?: string
}

export interface ToolkitSessionOptions {
  config: DeployConfig
  answer: ApprovalAnswer
  /** Where the cloud assembly is written. */
  outdir: string
  /** The credentials to act with; none: synthesize offline, with no AWS call at all (`deploy --dry-run`). */
  credentials?: CheckedCredentials
  verbose?: boolean
  write?: (text: string) => void
  /** The processor bundle to deploy; default: the one `npm run build` wrote. */
  processorBundleDir?: string
  /** Check the stack with cdk-nag first: an unacknowledged finding stops the synthesis (`deploy`, `deploy --dry-run`). */
  nag?: boolean
}

/** What deploy and destroy are both asked with: the stack, where its assembly goes, and how to talk to the user. */
export interface StackRequest {
  config: DeployConfig
  /** Answers every question with yes (--yes). */
  yes: boolean
  assemblyDir: string
  write?: (text: string) => void
  verbose?: boolean
  /**
   * Replaced by tests: the credentials (default: the AWS CLI's chain for the configured profile), the processor
   * bundle, how often stack events are polled.
   */
  credentials?: AwsCredentialIdentityProvider
  processorBundleDir?: string
  stackEventPollingInterval?: number
}

/**
 * The credentials of a deploy or destroy, checked before anything is synthesized: STS GetCallerIdentity tells in a
 * second which account they are for, and without usable credentials the command stops there (exit 3) rather than
 * after synthesizing the app, when the toolkit would find out. The toolkit is then given these very credentials (and
 * destroy its own clients), so that a profile that asks for an MFA code asks once.
 */
export async function checkCredentials(request: StackRequest): Promise<CheckedCredentials> {
  const {config} = request
  const profile = config.profile || process.env.AWS_PROFILE || undefined
  const provider = request.credentials ?? baseCredentials({profile, readMfaCode: promptMfaCode})
  const region = config.region ?? (await configuredRegion(profile ?? 'default'))
  const {GetCallerIdentityCommand, STSClient} = await import('@aws-sdk/client-sts')
  const sts = new STSClient({
    region: region ?? 'us-east-1',
    credentials: provider,
    requestHandler: createRequestHandler({maxSockets: 1}),
  })
  let account: string | undefined
  let arn: string | undefined
  try {
    // Found first (the chain remembers them, an MFA code included), then shown to STS.
    await provider()
    ;({Account: account, Arn: arn} = await sts.send(new GetCallerIdentityCommand({})))
  } catch (error) {
    const failure = toFailure(error)
    if (failure.exitCode !== ExitCode.Credentials) throw error
    throw new CliError(`No usable AWS credentials: ${failure.message}`, {
      exitCode: ExitCode.Credentials,
      code: failure.code,
      hint: failure.hint,
      cause: error,
    })
  }
  if (!account)
    throw new CliError('STS did not say which account the credentials belong to.', {
      exitCode: ExitCode.Aws,
      code: 'NoAccount',
    })
  return {provider, account, arn, region}
}

/** Opens the toolkit session for a deploy or destroy request; `answer` decides the toolkit's questions. */
export function openSessionFor(
  request: StackRequest,
  credentials: CheckedCredentials,
  write: (text: string) => void,
  answer: ApprovalAnswer,
  options: {nag?: boolean} = {},
): Promise<ToolkitSession> {
  return openToolkitSession({
    config: {...request.config, deployer: credentials.arn},
    outdir: request.assemblyDir,
    credentials,
    nag: options.nag,
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
  const [lib, {eventPulseAssemblyBuilder}] = await Promise.all([loadToolkitLibrary(), import('../../../infra/app.js')])
  const {config, credentials} = options
  const toolkit = new lib.Toolkit({
    ioHost: new CliIoHost({answer: options.answer, verbose: options.verbose, write: options.write}),
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    emojis: false,
    sdkConfig: {
      baseCredentials: credentials
        ? lib.BaseCredentials.custom({provider: credentials.provider, region: credentials.region})
        : lib.BaseCredentials.none(),
    },
  })
  const source = await toolkit.fromAssemblyBuilder(
    eventPulseAssemblyBuilder(config, {processorBundleDir: options.processorBundleDir, nag: options.nag}),
    {
      outdir: options.outdir,
      // The app reads no context and looks nothing up: nothing from cdk.json or ~/.cdk.json may change what is
      // deployed.
      contextStore: new lib.MemoryContext(),
      lookups: false,
      resolveDefaultEnvironment: credentials !== undefined,
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

/**
 * The error to stop on when cdk-nag's findings failed the synthesis: the toolkit has shown each one, and the
 * validation report in the assembly directory counts them. Undefined for any other failure.
 */
export async function nagStop(lib: ToolkitLibrary, error: unknown, assemblyDir: string): Promise<CliError | undefined> {
  if (!lib.ToolkitError.isAssemblyError(error)) return undefined
  type Report = {pluginReports?: {pluginName: string; conclusion: string; violations?: unknown[]}[]}
  const report = (await readFile(join(assemblyDir, 'validation-report.json'), 'utf8')
    .then((text) => JSON.parse(text) as Report)
    .catch(() => undefined)) as Report | undefined
  const nag = report?.pluginReports?.find((plugin) => plugin.pluginName === 'AwsSolutions')
  if (nag?.conclusion !== 'failure') return undefined
  return new CliError(
    `cdk-nag (AwsSolutions) found ${nag.violations?.length ?? 0} problems in the stack that nobody acknowledged.`,
    {
      exitCode: ExitCode.Negative,
      code: 'NagFindings',
      cause: error,
      hint:
        'Nothing was deployed. Each is listed above: fix the stack, or acknowledge the finding with a one-line ' +
        'reason in infra/nag-acknowledgements.ts.',
    },
  )
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
