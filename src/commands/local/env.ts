import {BaseCommand} from '#cli/base-command.js'
import {exportLines, localEnvironment} from '#local/env.js'
import {readLocalPipeline} from '#local/state.js'

export default class LocalEnv extends BaseCommand {
  static summary = 'Print what other AWS tools need to use the local pipeline.'

  static description = `Prints \`export\` lines (as \`minikube docker-env\` does): the local pipeline's
credentials, its region, and the endpoint URLs of its S3 and DynamoDB, which
answer only requests signed with these credentials. They are made with the
data directory and stay the same across restarts; \`local reset\` replaces
them. The endpoints change when the ports do. Point a shell at the local
pipeline with eval "$(eventpulse local env)"; then, for example,
aws s3api put-object --bucket eventpulse-processing --key drop/a.json \\
  --body a.json --if-none-match '*'
(the processing bucket takes only conditional writes).
Exit codes: 0 printed; 4 the local pipeline is not running.`

  static examples = [
    {description: 'The export lines, for eval in a shell', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The same values as one JSON document', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static usesAws = false

  async run(): Promise<Record<string, string>> {
    await this.parse(LocalEnv)
    const environment = localEnvironment(readLocalPipeline())
    for (const line of exportLines(environment, `${this.config.bin} local env`)) this.log(line)
    return environment
  }
}
