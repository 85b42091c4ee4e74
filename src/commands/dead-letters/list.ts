import {PipelineCommand} from '#cli/pipeline-command.js'
import {deadLettersFlags, deadLettersTargetRequest} from '#cli/dead-letters-flags.js'
import {type DeadLetterListing, incompleteLines, letterLine, listDeadLetters} from '#dead-letters/letters.js'
import {deadLetterSource} from '#dead-letters/source.js'
import {resolveTarget} from '#target/resolve-target.js'
import {ADMIN_ROLE_HELP} from '#cli/pipeline-flags.js'

export default class DeadLettersList extends PipelineCommand {
  static summary = 'List what failed for good, and whether its objects still wait.'

  static description = `Reads both dead-letter queues of the stack: events EventBridge could not
deliver, and processor invocations that failed (with objects the sweep gave up
on). With --local: the local pipeline's dead-letter file. One line per letter:
where, its age, the object keys and whether each still waits in the processing
bucket (a newer upload of the key waiting is said too), and the error.
Nothing is consumed: SQS has no peek, so each message is received, then made
visible again at once.
Exit codes: 0 listed, letters or none (scripts: count them with --json);
4 AWS or network failure.
${ADMIN_ROLE_HELP}`

  static examples = [
    {description: 'What failed for good on the deployed stack', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'On the local pipeline, as JSON', command: '<%= config.bin %> <%= command.id %> --local --json'},
    {
      description: 'How many letters, in a script',
      command: '<%= config.bin %> <%= command.id %> --json | jq .result.count',
    },
  ]

  static flags = deadLettersFlags

  async run(): Promise<DeadLetterListing> {
    const {flags} = await this.parse(DeadLettersList)
    const target = await resolveTarget(flags, deadLettersTargetRequest(flags))
    const listing = await listDeadLetters(target, deadLetterSource(target))
    for (const letter of listing.letters) this.log(letterLine(letter))
    for (const line of incompleteLines(listing.places)) this.logToStderr(line)
    const waiting = listing.letters.filter((letter) => !letter.clearable).length
    // On stderr, so that stdout holds only letter lines.
    this.logToStderr(
      `${listing.count} dead ${listing.count === 1 ? 'letter' : 'letters'} (${target.label})` +
        (waiting > 0
          ? `; ${waiting} kept by \`dead-letters clear\` (an object still waits, or not an S3 event).`
          : '.'),
    )
    return listing
  }
}
