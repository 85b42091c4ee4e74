import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '#cli/base-command.js'
import {commonFlags} from '#cli/common-flags.js'
import {validateWarnings} from '#cli/schema-drift.js'
import {validatePaths, type ValidationResult, validationLines, validationStatus} from '#validate/validate-files.js'

export default class Validate extends BaseCommand {
  static summary = 'Check records offline against the item schema the pipeline enforces.'

  static description = `Runs the very check the processor Lambda runs: UTF-8, JSON syntax, the item
schema (typed or plain JSON) and the size limits.
Problems are printed compiler-style, file:line:column, with the quarantine
reason the pipeline would record. Two records with the same ArtistID + ItemID
and different content (two files, or file:line in a batch file) are a problem
of the set: both places are named (\`sameKey\` with --json); \`upload\` would
refuse them. The same record twice is no problem.
Warns once (on stderr; in \`warnings\` with --json) when the pipeline checks
records with another schema than this CLI. It stays offline: it knows the
stack's schema only from the stack's outputs as last cached (by \`deploy\`,
\`doctor\` or any command that read them) for --stack, --profile and --region;
with --local, the running local pipeline's (stopped: it checks without it, and
says so).
Exit codes: 0 all valid, 1 some invalid or such pairs, 2 usage problem (no
such path, no input).`

  static examples = [
    {
      description: 'Check one record',
      command: '<%= config.bin %> <%= command.id %> examples/valid/knock2-feel-u-luv-me.json',
    },
    {description: 'Check every *.json below a directory', command: '<%= config.bin %> <%= command.id %> examples/'},
    {
      description: 'Check files matching a glob (quote it)',
      command: "<%= config.bin %> <%= command.id %> 'catalog/**/track-*.json'",
    },
    {
      description: 'Check a record from standard input',
      command: 'cat record.json | <%= config.bin %> <%= command.id %> -',
    },
    {description: 'Machine-readable result', command: '<%= config.bin %> <%= command.id %> examples/ --json'},
    {
      description: "Compare with the local pipeline's schema too",
      command: '<%= config.bin %> <%= command.id %> examples/ --local',
    },
  ]

  static strict = false

  static usesAws = false

  static args = {
    paths: Args.string({description: 'Files, directories (searched for *.json), globs, or - for standard input.'}),
  }

  static flags = {
    // What validate prints anyway; taken so that --quiet means the same on every command that prints outcomes.
    quiet: commonFlags.quiet,
    // Which pipeline's schema to compare with (never asked over the network).
    local: Flags.boolean({
      description:
        'Compare with the schema of the pipeline `eventpulse local start` runs (stopped: checks without it, says so).',
      exclusive: ['profile', 'region'],
    }),
    stack: commonFlags.stack,
    profile: commonFlags.profile,
    region: commonFlags.region,
  }

  async run(): Promise<ValidationResult> {
    const {argv, flags} = await this.parse(Validate)
    for (const warning of await validateWarnings(flags)) this.warnOnce(warning)
    const result = await validatePaths(argv as string[])
    for (const line of validationLines(result)) this.log(line)
    this.exitStatus = validationStatus(result)
    return result
  }
}
