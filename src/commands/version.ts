import {BaseCommand} from '#cli/base-command.js'

export interface VersionResult {
  name: string
  version: string
  platform: string
  arch: string
  node: string
}

export default class Version extends BaseCommand {
  static summary = 'Print the version of eventpulse, and the platform and Node.js it runs on.'

  static description = 'The same line as `eventpulse --version` and `eventpulse -v`.'

  static examples = [
    {description: 'The version line', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static usesAws = false

  async run(): Promise<VersionResult> {
    await this.parse(Version)
    this.log(this.config.userAgent)
    const {name, version, platform, arch} = this.config
    return {name, version, platform, arch, node: process.version}
  }
}
