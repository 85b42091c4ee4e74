import {createReadStream, readdirSync, readFileSync} from 'node:fs'
import {stat} from 'node:fs/promises'
import {basename, isAbsolute, join, relative, resolve} from 'node:path'

import {usageError} from '#core/errors.js'
import {isBatchName} from '#contract/batch-names.js'

/** One input named on the command line, directly or through a directory or glob. */
export interface InputFile {
  /** What messages show: the path relative to the working directory, or `<stdin>`. */
  displayPath: string
  /** Absolute path on disk; absent for standard input. */
  absolutePath?: string
  /** Path below the argument it came from (a directory's contents, a glob's base), or a file's own name. */
  relativePath: string
}

export const STDIN_DISPLAY_PATH = '<stdin>'

/** Messages show paths the way the user wrote them: absolute stays absolute, relative stays relative. */
function fromDisk(shownAs: string, relativePath: string): InputFile {
  return {displayPath: shownAs, absolutePath: resolve(shownAs), relativePath}
}

/** The static directory part of a glob, which relative paths are taken from. */
function globBase(pattern: string, isDynamicPattern: (part: string) => boolean): string {
  const parts = pattern.split('/')
  const firstDynamic = parts.findIndex((part) => isDynamicPattern(part))
  return parts.slice(0, firstDynamic).join('/') || '.'
}

/** Every *.json (and batch file: *.ndjson, *.jsonl, *.json.gz) below a directory, sorted, skipping hidden entries and node_modules. */
function jsonFilesBelow(directory: string, prefix = ''): string[] {
  // Synchronous: listing is a burst of tiny system calls, which the thread pool only slows down.
  const entries = readdirSync(join(directory, prefix), {withFileTypes: true})
  const found: string[] = []
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) found.push(...jsonFilesBelow(directory, rel))
    else if (entry.isFile() && (entry.name.endsWith('.json') || isBatchName(entry.name))) found.push(rel)
  }
  return found
}

async function expandOne(arg: string, stdinName: string): Promise<InputFile[]> {
  if (arg === '-') return [{displayPath: STDIN_DISPLAY_PATH, relativePath: stdinName}]
  const info = await stat(arg).catch(() => undefined)
  if (info?.isFile()) return [fromDisk(arg, basename(arg))]
  if (info?.isDirectory()) {
    const found = jsonFilesBelow(arg)
    if (found.length === 0)
      throw usageError(`No *.json files in directory ${arg}.`, 'Name the files, or a directory that holds them.')
    // Plain concatenation: path.join per file is measurable over thousands, and keeps the path as the user wrote it.
    const shown = arg.endsWith('/') ? arg : `${arg}/`
    const root = `${resolve(arg)}/`
    return found.map((rel) => ({displayPath: shown + rel, absolutePath: root + rel, relativePath: rel}))
  }
  if (info) throw usageError(`${arg} is neither a file nor a directory.`)
  // Loaded only for globs: most runs name files or directories, and start-up time matters.
  const {glob, isDynamicPattern} = await import('tinyglobby')
  if (!isDynamicPattern(arg))
    throw usageError(
      `No such file or directory: ${arg}`,
      'Check the path; globs must be quoted if your shell does not expand them.',
    )
  const base = globBase(arg, isDynamicPattern)
  const matches = await glob(arg, {onlyFiles: true, expandDirectories: false, absolute: isAbsolute(arg)})
  if (matches.length === 0) throw usageError(`No files match ${arg}.`)
  return matches.sort().map((path) => fromDisk(path, relative(base, path)))
}

/**
 * Expands the command's path arguments: files, directories (every *.json below them), globs, and `-` for stdin.
 * A file named twice is read once. Throws a usage error (exit 2) for a path that does not exist or names nothing.
 */
export async function expandInputs(args: string[], options: {stdinName?: string} = {}): Promise<InputFile[]> {
  if (args.length === 0)
    throw usageError('No input given.', 'Name files, directories or globs, or - to read standard input.')
  if (args.filter((a) => a === '-').length > 1) throw usageError('Standard input (-) can be named only once.')
  const seen = new Set<string>()
  const files: InputFile[] = []
  for (const arg of args) {
    for (const file of await expandOne(arg, options.stdinName ?? 'stdin.json')) {
      const identity = file.absolutePath ?? STDIN_DISPLAY_PATH
      if (seen.has(identity)) continue
      seen.add(identity)
      files.push(file)
    }
  }
  return files
}

async function readStdin(): Promise<Buffer> {
  // On a terminal, say so rather than wait in silence for input the user may not know is expected.
  if (process.stdin.isTTY) process.stderr.write('Reading standard input; end it with Ctrl-D.\n')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A file's bytes, or standard input's. Files are read synchronously: faster than async reads over many small files. */
export async function readInput(file: InputFile): Promise<Buffer> {
  return file.absolutePath === undefined ? readStdin() : readFileSync(file.absolutePath)
}

/** A file's bytes (or standard input's) as a stream of chunks, for batch files, which are never read whole. */
export function inputChunks(file: InputFile): AsyncIterable<Uint8Array> {
  return file.absolutePath === undefined ? process.stdin : createReadStream(file.absolutePath)
}

/** A file's size, when it is one (standard input has none until read). */
export async function inputSize(file: InputFile): Promise<number | undefined> {
  return file.absolutePath === undefined ? undefined : (await stat(file.absolutePath)).size
}
