import {Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {usageError} from '#core/errors.js'
import {exportLines, localEnvironment} from '#local/env.js'
import {readLocalPipeline} from '#local/state.js'

/** The roles by their flag names. */
const ROLES = {uploader: 'uploader', 'quarantine-admin': 'quarantineAdmin', selftest: 'selftest'} as const

export default class LocalEnv extends BaseCommand {
  static summary = 'Print what other AWS tools need to use the local pipeline.'

  static description = `Prints \`export\` lines (as \`minikube docker-env\` does): the credentials of
one stack role (--role, the uploader by default), the local pipeline's region,
and the endpoint URLs of its S3 and DynamoDB, which answer only requests signed
with the keys of the pipeline's data directory. Locally the roles differ in two
rules, as on AWS: only the quarantine-admin (and the uploader when \`local start
--uploader-may-replace\`) may write replacements under replace/, and only the
selftest role (the canaries of \`selftest\`) may write under selftest/. The keys
are made with the data directory and stay the same across restarts; \`local
reset\` replaces them. The endpoints change when the ports do. Point a shell at the
local pipeline with eval "$(eventpulse local env)"; then, for example,
aws s3api put-object --bucket eventpulse-processing --key drop/a.json \\
  --body a.json --if-none-match '*'
(the processing bucket takes only conditional writes).
Exit codes: 0 printed; 4 the local pipeline is not running.`

  static examples = [
    {description: 'The export lines, for eval in a shell', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: "The quarantine admin's credentials, as one JSON document",
      command: '<%= config.bin %> <%= command.id %> --role quarantine-admin --json',
    },
  ]

  static flags = {
    // Named in the description rather than as oclif `options`, whose list wraps at 80 columns into a lone word.
    role: Flags.custom<keyof typeof ROLES>({
      default: 'uploader',
      description: `The stack role whose local credentials to print: ${Object.keys(ROLES).join(', ')}.`,
      async parse(role) {
        if (Object.hasOwn(ROLES, role)) return role as keyof typeof ROLES
        throw usageError(`Not a stack role: ${role}`, `Use one of ${Object.keys(ROLES).join(', ')}.`)
      },
    })(),
  }

  static usesAws = false

  async run(): Promise<Record<string, string>> {
    const {flags} = await this.parse(LocalEnv)
    const state = readLocalPipeline()
    const role = ROLES[flags.role]
    const environment = localEnvironment({...state, credentials: state.roleCredentials[role]})
    const command = `${this.config.bin} local env${flags.role === 'uploader' ? '' : ` --role ${flags.role}`}`
    for (const line of exportLines(environment, command)) this.log(line)
    return environment
  }
}
