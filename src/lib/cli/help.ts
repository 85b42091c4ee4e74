import {type Command, CommandHelp, Help} from '@oclif/core'

/** The width command descriptions are written to in the source, one line each at most. */
const SOURCE_WIDTH = 80

/**
 * A help text as paragraphs: a line break in the source is a wrap (undone here) when the next line's first word would
 * not have fitted within SOURCE_WIDTH; other breaks were meant, as are blank lines and lines that start a list item or
 * are indented.
 */
export function sourceParagraphs(text: string): string[] {
  const paragraphs: string[] = []
  let previous: string | undefined
  for (const line of text.split('\n')) {
    const wrapped =
      previous &&
      previous.length <= SOURCE_WIDTH &&
      line.trim() !== '' &&
      !/^(\s|- |<)/.test(line) &&
      previous.length + 1 + line.split(' ')[0].length > SOURCE_WIDTH
    if (wrapped) paragraphs[paragraphs.length - 1] += ` ${line}`
    else paragraphs.push(line)
    previous = line
  }
  return paragraphs
}

/** A wrapped text whose last line holds a single word, alone under the others. */
export function endsInOrphan(lines: string[]): boolean {
  const last = lines.at(-1)?.trim() ?? ''
  return lines.length > 1 && last !== '' && !last.includes(' ')
}

/** Command help that wraps descriptions, flags and usage to the terminal with no word left alone on a line. */
class CommandHelpWithoutOrphans extends CommandHelp {
  wrap(body: string, spacing = this.indentSpacing): string {
    return sourceParagraphs(body)
      .map((paragraph) => this.wrapWithoutOrphan(paragraph, spacing))
      .join('\n')
  }

  /** oclif gives the `$ ` prompt only to commands that start with the CLI's name: one that pipes into it gets it too. */
  protected examples(examples: Command.Example[] | string | undefined): string | undefined {
    if (!Array.isArray(examples)) return super.examples(examples)
    const prompted = examples.map((example) =>
      typeof example === 'string' || example.command.startsWith('<%= config.bin %>')
        ? example
        : {...example, command: `$ ${example.command}`},
    )
    return super.examples(prompted)
  }

  /** Narrower, a column at a time (down to half the width), until a word more goes down with the last one. */
  private wrapWithoutOrphan(paragraph: string, spacing: number): string {
    const wrapped = super.wrap(paragraph, spacing)
    const lines = wrapped.split('\n')
    const width = this.opts.maxWidth - spacing
    for (let narrower = 1; endsInOrphan(lines) && narrower <= width / 2; narrower++) {
      const candidate = super.wrap(paragraph, spacing + narrower).split('\n')
      if (candidate.length <= lines.length + 1 && !endsInOrphan(candidate)) return candidate.join('\n')
    }
    return wrapped
  }
}

/** The CLI's help (oclif's helpClass). */
export default class EventPulseHelp extends Help {
  protected CommandHelpClass = CommandHelpWithoutOrphans
}
