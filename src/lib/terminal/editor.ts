import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CliError} from '#core/errors.js'
import {ExitCode} from '#core/exit-codes.js'

/** The user's editor, as git finds it: $VISUAL, then $EDITOR, then vi. */
export const userEditor = (env: NodeJS.ProcessEnv = process.env): string => env.VISUAL || env.EDITOR || 'vi'

/**
 * Opens `content` in the user's editor, in a private temporary file named `name` (its extension picks the editor's
 * mode), and returns the bytes as saved (a check may find them not UTF-8); the file is removed. The editor's command is run by the shell, so that
 * `EDITOR="code --wait"` works. An editor that fails (exit code not 0) changes nothing: an error (exit 1) says so.
 */
export async function editText(content: string | Uint8Array, name: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'eventpulse-edit-'))
  const file = join(dir, name)
  try {
    await writeFile(file, content, {mode: 0o600})
    const editor = userEditor()
    const exitCode = await whileIgnoringCtrlC(
      () =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn('sh', ['-c', `${editor} "$1"`, 'editor', file], {stdio: 'inherit'})
          child.on('error', reject)
          child.on('close', resolve)
        }),
    )
    if (exitCode !== 0)
      throw new CliError(`The editor (${editor}) ended with exit code ${exitCode}; the edit is dropped.`, {
        exitCode: ExitCode.Negative,
        code: 'EditorFailed',
        hint: 'Set VISUAL or EDITOR to an editor that waits until the file is closed, e.g. EDITOR="code --wait".',
      })
    return await readFile(file)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * Ctrl-C in the editor is the editor's (nano shows the cursor position, vim leaves insert mode); the terminal sends
 * SIGINT to this process too, so its own handlers (a command's Ctrl-C) are set aside meanwhile, as git does.
 */
async function whileIgnoringCtrlC<T>(work: () => Promise<T>): Promise<T> {
  const handlers = process.listeners('SIGINT')
  const ignore = () => {}
  process.removeAllListeners('SIGINT')
  process.on('SIGINT', ignore)
  try {
    return await work()
  } finally {
    process.off('SIGINT', ignore)
    for (const handler of handlers) process.on('SIGINT', handler)
  }
}
