import {mkdirSync, writeFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {Readable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {CliError} from '#core/errors.js'
import {expandInputs, inputChunks, inputSize, readInput} from '#files/input-files.js'
import {tempDir} from '../helpers/temp-dirs.js'

/** A directory of hand-made inputs: records, batch files, and what must be skipped. */
function catalog(): string {
  const root = tempDir('eventpulse-inputs-')
  for (const [path, text] of Object.entries({
    'b.json': '{"n":2}',
    'a.json': '{"n":1}',
    'sub/c.json': '{"n":3}',
    'sub/deeper/d.ndjson': '{"n":4}\n',
    'e.jsonl': '{"n":5}\n',
    'f.json.gz': 'not really gzip',
    'notes.txt': 'skipped',
    '.hidden.json': '{"skipped":true}',
    '.git/x.json': '{"skipped":true}',
    'node_modules/pkg/package.json': '{"skipped":true}',
  })) {
    mkdirSync(join(root, path, '..'), {recursive: true})
    writeFileSync(join(root, path), text)
  }
  return root
}

/** Runs `read` with `stdin` as the process's standard input, collecting what it writes on standard error. */
async function withStdin<T>(stdin: Readable, read: () => Promise<T>): Promise<{result: T; said: string}> {
  const original = Object.getOwnPropertyDescriptor(process, 'stdin')!
  const write = process.stderr.write
  let said = ''
  Object.defineProperty(process, 'stdin', {value: stdin, configurable: true})
  process.stderr.write = ((text: string) => Boolean((said += text))) as typeof write
  try {
    return {result: await read(), said}
  } finally {
    Object.defineProperty(process, 'stdin', original)
    process.stderr.write = write
  }
}

const usageFailure = async (args: string[]) => {
  const error = await expandInputs(args).catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(CliError)
  expect((error as CliError).exitCode).toBe(2)
  return error as CliError
}

describe('the inputs a command is given', () => {
  it('finds every record and batch file below a directory, sorted, skipping hidden entries and node_modules', async () => {
    const root = catalog()
    const files = await expandInputs([root])
    expect(files.map((file) => file.relativePath)).toEqual([
      'a.json',
      'b.json',
      'e.jsonl',
      'f.json.gz',
      'sub/c.json',
      'sub/deeper/d.ndjson',
    ])
    expect(files[0]).toEqual({displayPath: `${root}/a.json`, absolutePath: `${root}/a.json`, relativePath: 'a.json'})
    // A trailing slash is kept as written, not doubled.
    expect((await expandInputs([`${root}/sub/`])).map((file) => file.displayPath)).toEqual([
      `${root}/sub/c.json`,
      `${root}/sub/deeper/d.ndjson`,
    ])
  })

  it('lists a directory in name order, whatever order the file system keeps', async () => {
    const root = tempDir('eventpulse-order-')
    const names = ['m', 'c', 'x', 'a', 'q', 'f', 'z', 'b', 'k', 'd', 'y', 'e', 'p', 'g', 'w', 'h'].map(
      (n) => `${n}.json`,
    )
    for (const name of names) writeFileSync(join(root, name), '{}')
    const sorted = [...names].sort()
    expect((await expandInputs([root])).map((file) => file.relativePath)).toEqual(sorted)
    expect((await expandInputs([`${root}/*.json`])).map((file) => file.relativePath)).toEqual(sorted)
  })

  it('matches only files with a glob, and keeps a relative glob relative', async () => {
    const root = catalog()
    expect((await expandInputs([`${root}/*`])).map((file) => file.relativePath)).toEqual([
      'a.json',
      'b.json',
      'e.jsonl',
      'f.json.gz',
      'notes.txt',
    ])
    const fromHere = relative(process.cwd(), root)
    const [first] = await expandInputs([`${fromHere}/s*/*.json`])
    expect(first).toEqual({
      displayPath: `${fromHere}/sub/c.json`,
      absolutePath: `${root}/sub/c.json`,
      relativePath: 'sub/c.json',
    })
  })

  it('keeps a file named directly as written, with its own name as the relative path', async () => {
    const root = catalog()
    const [file] = await expandInputs([join(root, 'sub/c.json')])
    expect(file).toEqual({
      displayPath: `${root}/sub/c.json`,
      absolutePath: `${root}/sub/c.json`,
      relativePath: 'c.json',
    })
  })

  it('expands a glob, taking relative paths from its static part', async () => {
    const root = catalog()
    const files = await expandInputs([`${root}/sub/**/*.*json`])
    expect(files.map((file) => file.relativePath)).toEqual(['c.json', 'deeper/d.ndjson'])
    expect(files[1]!.absolutePath).toBe(resolve(root, 'sub/deeper/d.ndjson'))
  })

  it('reads a file named twice once, and standard input as - under the name given', async () => {
    const root = catalog()
    const a = join(root, 'a.json')
    const files = await expandInputs([a, root, '-', a], {stdinName: 'piped.json'})
    expect(files.filter((file) => file.relativePath === 'a.json')).toHaveLength(1)
    expect(files.at(-1)).toEqual({displayPath: '<stdin>', relativePath: 'piped.json'})
    expect((await expandInputs(['-']))[0]!.relativePath).toBe('stdin.json')
  })

  it('refuses, with exit 2 and what to do: no input, two -, an empty directory, a missing path, a glob that matches nothing', async () => {
    expect((await usageFailure([])).message).toBe('No input given.')
    expect((await usageFailure([])).hint).toBe('Name files, directories or globs, or - to read standard input.')
    expect((await usageFailure(['-', '-'])).message).toBe('Standard input (-) can be named only once.')
    const empty = tempDir('eventpulse-empty-')
    mkdirSync(join(empty, 'only-text'))
    writeFileSync(join(empty, 'only-text/readme.txt'), 'no records')
    const none = await usageFailure([join(empty, 'only-text')])
    expect(none.message).toBe(`No *.json files in directory ${join(empty, 'only-text')}.`)
    expect(none.hint).toBe('Name the files, or a directory that holds them.')
    const missing = await usageFailure([join(empty, 'nope.json')])
    expect(missing.message).toBe(`No such file or directory: ${join(empty, 'nope.json')}`)
    expect(missing.hint).toBe('Check the path; globs must be quoted if your shell does not expand them.')
    expect((await usageFailure([`${empty}/*.json`])).message).toBe(`No files match ${empty}/*.json.`)
    expect((await usageFailure(['/dev/null'])).message).toBe('/dev/null is neither a file nor a directory.')
  })

  it("reads a file's bytes, its chunks and its size; standard input has no size until read", async () => {
    const root = catalog()
    const [file] = await expandInputs([join(root, 'sub/deeper/d.ndjson')])
    expect((await readInput(file!)).toString()).toBe('{"n":4}\n')
    const chunks: Uint8Array[] = []
    for await (const chunk of inputChunks(file!)) chunks.push(chunk)
    expect(Buffer.concat(chunks).toString()).toBe('{"n":4}\n')
    expect(await inputSize(file!)).toBe(8)
    expect(await inputSize({displayPath: '<stdin>', relativePath: 'stdin.json'})).toBeUndefined()
  })

  it('reads standard input whole, or in chunks; on a terminal it first says how to end it', async () => {
    const stdinFile = {displayPath: '<stdin>', relativePath: 'stdin.json'}
    const piped = await withStdin(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), () => readInput(stdinFile))
    expect(piped.said).toBe('')
    expect(piped.result.toString()).toBe('{"a":1}')

    const typed = Object.assign(Readable.from([Buffer.from('{}')]), {isTTY: true})
    expect((await withStdin(typed, () => readInput(stdinFile))).said).toBe(
      'Reading standard input; end it with Ctrl-D.\n',
    )

    const lines = Readable.from([Buffer.from('{"n":1}\n'), Buffer.from('{"n":2}\n')])
    const chunked = await withStdin(lines, async () => {
      const chunks: Buffer[] = []
      for await (const chunk of inputChunks(stdinFile)) chunks.push(Buffer.from(chunk))
      return Buffer.concat(chunks).toString()
    })
    expect(chunked.result).toBe('{"n":1}\n{"n":2}\n')
  })
})
