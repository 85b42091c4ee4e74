import {stackSettingDefaults, type StackSettings} from '#contract/deploy-settings.js'

/**
 * Everything a deployment can be configured with: what a terraform.tfvars would hold. One property per deploy
 * setting (src/lib/contract/deploy-settings.ts says what each means and its default), plus the account.
 */
export type EventPulseStackConfig = StackSettings & {
  /** Account to deploy to; known only once credentials are resolved (never during --dry-run). */
  account?: string
  /**
   * The ARN of whoever deploys (STS GetCallerIdentity), known only once credentials are resolved: besides the stack's
   * roles, the only principal that may write into or delete from the buckets (so `destroy --destroy-data` can empty
   * them).
   */
  deployer?: string
}

export function defaultStackConfig(overrides: Partial<EventPulseStackConfig> = {}): EventPulseStackConfig {
  return {...stackSettingDefaults(), ...overrides}
}
