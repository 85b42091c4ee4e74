import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {Flags, Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {isolatedXdg, PROJECT_ROOT, runCli} from '../helpers/run-cli.js'
import {CTRL_C, runOnTerminal} from './helpers/terminal.js'

// What a new user meets first: help, the version, typos, and answers at prompts.

const versionLine = /^eventpulse\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+\.\d+\.\d+\n$/

const commandIds = (): string[] =>
  Object.keys(JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')).commands)

const indentation = (line: string) => line.length - line.trimStart().length

/**
 * Words left alone on the last line of a wrapped text (off a terminal, help is 80 columns wide): an indented line of
 * one word under a line of the same text, with nothing of that text after it.
 */
const orphanWords = (help: string): string[] => {
  const lines = help.split('\n')
  return lines.filter((line, index) => {
    const next = lines[index + 1] ?? ''
    const endsText = next.trim() === '' || indentation(next) !== indentation(line)
    return /^\s+\S+$/.test(line) && lines[index - 1].trim() !== '' && endsText
  })
}

/** Example commands (indented under their description) that do not start with the `$ ` prompt. */
const examplesWithoutPrompt = (help: string): string[] => {
  const examples = help.slice(help.indexOf('EXAMPLES'))
  return examples
    .split('\n\n')
    .map((block) => block.split('\n')[0])
    .filter((first) => indentation(first) >= 4 && !first.trimStart().startsWith('$ '))
}

describe('help', () => {
  it('`help` lists the topics and every command', async () => {
    const run = await runCli(['help'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/^TOPICS\n(?: {2}.+\n)* {2}local +Run the whole pipeline/m)
    for (const command of ['validate', 'upload', 'status', 'demo', 'deploy', 'destroy', 'version', 'autocomplete'])
      expect(run.stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'))
  })

  it('`help validate` and `validate -h` show the command help, as --help does', async () => {
    const [help, short, long] = await Promise.all([
      runCli(['help', 'validate']),
      runCli(['validate', '-h']),
      runCli(['validate', '--help']),
    ])
    for (const run of [help, short, long]) {
      expect(run.exitCode).toBe(0)
      expect(run.stderr).toBe('')
    }
    expect(help.stdout).toMatch(/^USAGE\n {2}\$ eventpulse validate \[PATHS\.\.\.\]/m)
    expect(short.stdout).toBe(help.stdout)
    expect(long.stdout).toBe(help.stdout)
  })

  it('`help` for a command that does not exist fails as a mistyped command does', async () => {
    const run = await runCli(['help', 'valdate'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toBe('Error: "valdate" is not an eventpulse command.\n`eventpulse help` lists every command.\n')
  })

  it('gives every command whole usage lines, no word alone on a line at 80 columns, a $ before each example, and only flags it uses', async () => {
    const helps = new Map(
      await Promise.all(
        commandIds().map(async (id) => [id, (await runCli([...id.split(':'), '--help'])).stdout] as const),
      ),
    )
    for (const [id, help] of helps) {
      const usage = help.slice(help.indexOf('USAGE'), help.indexOf('\n\n', help.indexOf('USAGE')))
      expect(usage, id).not.toMatch(/\| \]|\[ \||\|\s*\||\[\]/)
      for (const line of help.split('\n')) expect(line.length, `${id}: ${line}`).toBeLessThanOrEqual(80)
      expect(orphanWords(help), id).toEqual([])
      expect(examplesWithoutPrompt(help), id).toEqual([])
    }
    for (const id of ['quarantine:list', 'quarantine:check', 'quarantine:show', 'quarantine:rm']) {
      expect(helps.get(id), id).toContain('--quarantine-bucket')
      expect(helps.get(id), id).not.toMatch(/--table|--processing-bucket|--outcomes-table/)
    }
    expect(helps.get('quarantine:release')).toContain('--processing-bucket')
  })
})

describe('examples in the help', () => {
  const loadCommand = async (id: string) =>
    (await import(/* @vite-ignore */ join(PROJECT_ROOT, 'src/commands', `${id.replaceAll(':', '/')}.ts`))).default
  /** The words of a shell command (quotes removed), up to a pipe, redirection or `;`. */
  const words = (command: string): string[] => {
    const found: string[] = []
    for (const [, single, double, plain, stop] of command.matchAll(/'([^']*)'|"([^"]*)"|([^\s'"|;<>]+)|([|;<>])/g)) {
      if (stop) break
      found.push(single ?? double ?? plain)
    }
    return found
  }

  it('parse as written: every flag exists, with a value of the right kind', async () => {
    const ids = commandIds()
    let checked = 0
    for (const id of ids) {
      const command = await loadCommand(id)
      for (const example of command.examples ?? []) {
        const rendered = (typeof example === 'string' ? example : example.command)
          .replaceAll('<%= config.bin %>', 'eventpulse')
          .replaceAll('<%= command.id %>', id.replaceAll(':', ' '))
        const typed = words(rendered.slice(rendered.indexOf('eventpulse ')).trim())
        // The command an example runs is not always its own (`local start` shows an upload to it).
        const runs = ids
          .filter((other) => typed.slice(1, 1 + other.split(':').length).join(':') === other)
          .sort((a, b) => b.length - a.length)[0]
        expect(runs, rendered).toBeDefined()
        const runsCommand = await loadCommand(runs)
        const argv = typed.slice(1 + runs.split(':').length)
        await expect(
          Parser.parse(argv, {
            flags: {json: Flags.boolean(), ...runsCommand.baseFlags, ...runsCommand.flags},
            args: runsCommand.args,
            strict: runsCommand.strict,
          }),
          rendered,
        ).resolves.toBeDefined()
        checked++
      }
    }
    expect(checked).toBeGreaterThan(40)
  })
})

describe('version', () => {
  it('`--version`, `-v` and `version` print the same line; `version --json` one document', async () => {
    const runs = await Promise.all([['--version'], ['-v'], ['version']].map((args) => runCli(args)))
    for (const run of runs) {
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toMatch(versionLine)
      expect(run.stdout).toBe(runs[0].stdout)
    }
    const json = await runCli(['version', '--json'])
    expect(json.exitCode).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({
      status: 0,
      result: {
        name: 'eventpulse',
        version: expect.any(String),
        platform: process.platform,
        arch: process.arch,
        node: process.version,
      },
    })
  })
})

describe('typos', () => {
  it('a misspelt command: exit 2, what was probably meant, and nothing run', async () => {
    const run = await runCli(['valdate', 'examples/valid'])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      'Error: "valdate" is not an eventpulse command.\n' +
        'Did you mean `eventpulse validate examples/valid`? `eventpulse help` lists every command.\n',
    )
  })

  it('a misspelt command with --json: the one failure document, code CommandNotFound', async () => {
    const run = await runCli(['quarantine', 'lst', '--json'])
    expect(run.exitCode).toBe(2)
    expect(JSON.parse(run.stdout)).toEqual({
      status: 2,
      error: {
        code: 'CommandNotFound',
        message: '"quarantine lst" is not an eventpulse command.',
        hint: 'Did you mean `eventpulse quarantine list --json`? `eventpulse help` lists every command.',
      },
    })
  })

  it('a misspelt flag: exit 2, the flag meant and where the flags are listed, in words and as JSON', async () => {
    const text = await runCli(['validate', 'examples/valid', '--jsn'])
    expect(text.exitCode).toBe(2)
    expect(text.stdout).toBe('')
    expect(text.stderr).toBe(
      'Error: Unknown flag for eventpulse validate: --jsn\nDid you mean --json? See `eventpulse validate --help`.\n',
    )
    const json = await runCli(['upload', 'examples/valid', '--wiat', '--json'])
    expect(json.exitCode).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({
      status: 2,
      error: {
        code: 'UnknownFlag',
        message: 'Unknown flag for eventpulse upload: --wiat',
        hint: 'Did you mean --wait? See `eventpulse upload --help`.',
      },
    })
  })

  it('a bad flag value or a flag that conflicts: exit 2 with its own code', async () => {
    const value = JSON.parse((await runCli(['status', 'k', '--concurrency', 'many', '--json'])).stdout)
    expect(value).toEqual({
      status: 2,
      error: {
        code: 'InvalidFlagValue',
        message: 'Invalid value for --concurrency: Expected an integer but received: many',
        hint: 'See `eventpulse status --help`.',
      },
    })
    const conflict = await runCli(['quarantine', 'list', '--local', '--role-arn', 'arn:aws:iam::1:role/r', '--json'])
    expect(conflict.exitCode).toBe(2)
    expect(JSON.parse(conflict.stdout).error.code).toBe('InvalidFlagCombination')
  })

  it('on a terminal, offers to run the command meant, and runs it only when told to', async () => {
    const run = await runOnTerminal(['valdate', 'examples/valid'], {env: isolatedXdg(), prompt: '(y/N)', answer: 'y\r'})
    expect(run.stdout).toContain('"valdate" is not an eventpulse command.')
    expect(run.stdout).toContain('Run `eventpulse validate examples/valid`?')
    expect(run.stdout).toContain('Checked 3 files: 3 valid, 0 invalid.')
    expect(run.exitCode).toBe(0)
  })

  it('a no at that prompt runs nothing and exits 1, as a no at any prompt does', async () => {
    const run = await runOnTerminal(['valdate', 'examples/valid'], {env: isolatedXdg(), prompt: '(y/N)', answer: 'n\r'})
    expect(run.stdout).toContain('Not run.')
    expect(run.stdout).not.toContain('Checked')
    expect(run.exitCode).toBe(1)
  })

  it('never offers to run a command that deletes or deploys', async () => {
    const run = await runOnTerminal(['local', 'rest'], {
      env: isolatedXdg(),
      prompt: 'is not an eventpulse command',
      answer: 'y\r',
    })
    expect(run.stdout).toContain('Did you mean `eventpulse local reset`?')
    expect(run.stdout).not.toContain('(y/N)')
    expect(run.exitCode).toBe(2)
  })
})

describe('standard input', () => {
  it('`validate -` on a terminal says that it is reading standard input', async () => {
    const record = '{"ArtistID": {"S": "Knock2"}, "ItemID": {"S": "TRACK#Rumble"}}'
    const run = await runOnTerminal(['validate', '-'], {
      env: isolatedXdg(),
      prompt: 'Reading standard input',
      answer: `${record}\n\u0004`,
    })
    expect(run.stdout).toContain('Reading standard input; end it with Ctrl-D.')
    expect(run.stdout).toContain('Checked 1 file: 1 valid, 0 invalid.')
    expect(run.exitCode).toBe(0)
  })

  it('says nothing of it when standard input is not a terminal', async () => {
    const run = await runCli(['validate', '-'], {
      input: '{"ArtistID": {"S": "Knock2"}, "ItemID": {"S": "TRACK#Rumble"}}',
    })
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('Checked 1 file: 1 valid, 0 invalid.\n')
  })
})

describe('answers at a prompt', () => {
  /** An XDG home holding local pipeline data, for `local reset` to ask about. */
  function withLocalData(): {env: NodeJS.ProcessEnv; dataFile: string} {
    const env = isolatedXdg()
    const dir = join(env.XDG_DATA_HOME!, 'eventpulse', 'local', 's3')
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'object'), '{}')
    return {env, dataFile: join(dir, 'object')}
  }

  it('declined: exit 1, nothing deleted, as in every command that asks', async () => {
    const {env, dataFile} = withLocalData()
    const run = await runOnTerminal(['local', 'reset'], {env, prompt: '(y/N)', answer: 'n\r'})
    expect(run.stdout).toContain('Nothing deleted.')
    expect(run.exitCode).toBe(1)
    expect(existsSync(dataFile)).toBe(true)
  })

  it('Ctrl-C: exit 130, cancelled, nothing deleted, and no talk of a bug', async () => {
    const {env, dataFile} = withLocalData()
    const run = await runOnTerminal(['local', 'reset'], {env, prompt: '(y/N)', answer: CTRL_C})
    expect(run.stdout).toContain('Error: Cancelled at the prompt (Ctrl-C); nothing was done.')
    expect(run.stdout).not.toMatch(/bug/i)
    expect(run.exitCode).toBe(130)
    expect(existsSync(dataFile)).toBe(true)
  })
})
