import {confirmOrRefuse} from '#terminal/confirm.js'
import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'
import {stackOutputsCacheFile, writeStackOutputsCache} from '#aws/stack-outputs-cache.js'
import {
  checkCredentials,
  explainToolkitError,
  findBootstrapError,
  nagStop,
  openSessionFor,
  type StackRequest,
} from './toolkit.js'

/** Asks the user a yes/no question about something that changes their account (`action` names it for the refusal). */
export type Ask = (question: string, action: string) => Promise<boolean>

export interface DeployRequest extends StackRequest {
  /** Replaced by tests: the question asker. */
  ask?: Ask
}

export type DeployOutcome =
  | {
      deployed: true
      stack: string
      account: string
      region: string
      stackArn: string
      bootstrapped: boolean
      outputs: Record<string, string>
      cacheFile: string
    }
  | {deployed: false; stack: string; reason: 'declined' | 'bootstrap-declined'}

/** Said before every deploy with --no-require-mfa: a deliberate choice, never a silent one. */
export const NO_MFA_WARNING =
  'Warning: --no-require-mfa: the quarantine-admin role will not require MFA, so anyone it trusts can read, ' +
  'release and delete quarantined records with a password or access key alone.\n'

const CONFIRM_CODES = {deploy: 'CDK_TOOLKIT_I5060', rollback: 'CDK_TOOLKIT_I5050'} as const

/**
 * Checks the credentials (exit 3 in a second without usable ones), synthesizes the bundled app, shows the change set (IAM changes highlighted), deploys once the user approves,
 * bootstraps the environment first if it needs it and the user agrees, and caches the stack's outputs.
 */
export async function deployStack(request: DeployRequest): Promise<DeployOutcome> {
  const {config} = request
  const write = request.write ?? ((text: string) => process.stderr.write(text))
  const ask: Ask = request.ask ?? ((question, action) => confirmOrRefuse(question, {yes: request.yes, action}))
  // The decision is the user's, never the toolkit's default. The change set was shown by the diff just before.
  const credentials = await checkCredentials(request)
  if (!config.requireMfa) write(NO_MFA_WARNING)
  const session = await openSessionFor(
    request,
    credentials,
    write,
    async ({code, message}) => {
      if (code === CONFIRM_CODES.deploy) return ask(`Deploy these changes to stack ${config.stackName}?`, 'deploy')
      if (code === CONFIRM_CODES.rollback) return ask(message, 'roll back the stack')
      return ask(message, 'go on')
    },
    {nag: true},
  )
  const {lib, toolkit, stacks} = session
  const deployOnce = () =>
    toolkit.deploy(assembly, {
      stacks,
      deploymentMethod: {method: 'change-set'},
      stackEventPollingInterval: request.stackEventPollingInterval,
    })

  let assembly: Awaited<ReturnType<typeof toolkit.synth>>
  try {
    assembly = await toolkit.synth(session.source, {stacks})
  } catch (error) {
    throw (await nagStop(lib, error, request.assemblyDir)) ?? explainToolkitError(lib, error)
  }
  // cdk-nag checked the synthesis above: an unacknowledged finding stopped it before any change set.
  write('cdk-nag (AwsSolutions): no unacknowledged findings.\n')
  let bootstrapped = false
  try {
    // The whole change set against the deployed template, IAM statement changes in their own highlighted table.
    await toolkit.diff(assembly, {stacks, method: lib.DiffMethod.TemplateOnly()})
    let result
    try {
      result = await deployOnce()
    } catch (error) {
      const bootstrapError = findBootstrapError(lib, error)
      if (!bootstrapError) throw error
      const environment = `aws://${bootstrapError.environment.account}/${bootstrapError.environment.region}`
      write(`${environment} is not bootstrapped for the AWS CDK: ${bootstrapError.message}\n`)
      const agreed = await ask(
        `Bootstrap ${environment} now? This deploys the CDKToolkit stack (an asset bucket and deployment roles).`,
        'bootstrap',
      )
      if (!agreed) return {deployed: false, stack: config.stackName, reason: 'bootstrap-declined'}
      await toolkit.bootstrap(lib.BootstrapEnvironments.fromList([environment]), {})
      bootstrapped = true
      result = await deployOnce()
    }
    const deployed = result.stacks.find((s) => s.stackName === config.stackName)
    if (!deployed)
      throw new CliError(`The toolkit deployed no stack named ${config.stackName}.`, {
        exitCode: ExitCode.Aws,
        code: 'StackNotDeployed',
      })
    const {region, account} = deployed.environment
    const target = {profile: config.profile, region, account, stack: config.stackName}
    await writeStackOutputsCache(target, deployed.outputs)
    return {
      deployed: true,
      stack: config.stackName,
      account: deployed.environment.account,
      region: deployed.environment.region,
      stackArn: deployed.stackArn,
      bootstrapped,
      outputs: deployed.outputs,
      cacheFile: stackOutputsCacheFile(target),
    }
  } catch (error) {
    if (lib.ToolkitError.isAbortError(error)) return {deployed: false, stack: config.stackName, reason: 'declined'}
    throw explainToolkitError(lib, error)
  } finally {
    await assembly.dispose()
  }
}

export function formatOutputs(outputs: Record<string, string>): string[] {
  const names = Object.keys(outputs).sort()
  const width = Math.max(0, ...names.map((n) => n.length))
  return names.map((name) => `  ${name.padEnd(width)}  ${outputs[name]}`)
}
