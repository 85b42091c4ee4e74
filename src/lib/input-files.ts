import {readFile, stat} from 'node:fs/promises'
import {basename, relative, resolve} from 'node:path'

import {glob, isDynamicPattern} from 'tinyglobby'

import {usageError} from './errors.js'

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

function fromDisk(absolutePath: string, relativePath: string): InputFile {
  return {displayPath: relative(process.cwd(), absolutePath) || absolutePath, absolutePath, relativePath}
}

/** The static directory part of a glob, which relative paths are taken from. */
function globBase(pattern: string): string {
  const parts = pattern.split('/')
  const firstDynamic = parts.findIndex((part) => isDynamicPattern(part))
  return parts.slice(0, firstDynamic).join('/') || '.'
}

async function expandOne(arg: string, stdinName: string): Promise<InputFile[]> {
  if (arg === '-') return [{displayPath: STDIN_DISPLAY_PATH, relativePath: stdinName}]
  const info = await stat(arg).catch(() => undefined)
  if (info?.isFile()) return [fromDisk(resolve(arg), basename(arg))]
  if (info?.isDirectory()) {
    const root = resolve(arg)
    const found = await glob('**/*.json', {cwd: root, dot: false, ignore: ['**/node_modules/**']})
    if (found.length === 0) throw usageError(`No *.json files in directory ${arg}.`, 'Name the files, or a directory that holds them.')
    return found.sort().map((rel) => fromDisk(resolve(root, rel), rel))
  }
  if (info) throw usageError(`${arg} is neither a file nor a directory.`)
  if (!isDynamicPattern(arg)) throw usageError(`No such file or directory: ${arg}`, 'Check the path; globs must be quoted if your shell does not expand them.')
  const base = resolve(globBase(arg))
  const matches = await glob(arg, {absolute: true, onlyFiles: true, expandDirectories: false})
  if (matches.length === 0) throw usageError(`No files match ${arg}.`)
  return matches.sort().map((path) => fromDisk(path, relative(base, path)))
}

/**
 * Expands the command's path arguments: files, directories (every *.json below them), globs, and `-` for stdin.
 * A file named twice is read once. Throws a usage error (exit 2) for a path that does not exist or names nothing.
 */
export async function expandInputs(args: string[], options: {stdinName?: string} = {}): Promise<InputFile[]> {
  if (args.length === 0) throw usageError('No input given.', 'Name files, directories or globs, or - to read standard input.')
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
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export function readInput(file: InputFile): Promise<Buffer> {
  return file.absolutePath === undefined ? readStdin() : readFile(file.absolutePath)
}

