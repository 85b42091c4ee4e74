import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {editText} from '#terminal/editor.js'

// The review's editor: the user's $VISUAL or $EDITOR on a private copy, here a script the test writes.

const dir = mkdtempSync(join(tmpdir(), 'ep-editor-'))
const saved = {VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR}
afterEach(() => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function editor(name: string, lines: string[]): string {
  const script = join(dir, name)
  writeFileSync(script, lines.join('\n'))
  return `sh ${script}`
}

const editFiles = () => readdirSync(tmpdir()).filter((name) => name.startsWith('eventpulse-edit-'))

describe('editing a record', () => {
  it('opens the text in $EDITOR under the name given, returns what was saved, and removes the file', async () => {
    delete process.env.VISUAL
    process.env.EDITOR = editor('append.sh', [
      'case "$1" in */go.json) ;; *) exit 9 ;; esac',
      'printf \'"B": 2}\' >> "$1"',
    ])
    const before = editFiles()
    expect((await editText('{"A": 1, ', 'go.json')).toString()).toBe('{"A": 1, "B": 2}')
    expect(editFiles()).toEqual(before)
  })

  it('prefers $VISUAL to $EDITOR', async () => {
    process.env.VISUAL = editor('visual.sh', ['printf visual > "$1"'])
    process.env.EDITOR = editor('editor.sh', ['printf editor > "$1"'])
    expect((await editText('', 'a.json')).toString()).toBe('visual')
  })

  it('drops the edit when the editor fails, saying which editor and how', async () => {
    delete process.env.VISUAL
    process.env.EDITOR = editor('fails.sh', ['printf changed > "$1"', 'exit 3'])
    await expect(editText('{}', 'a.json')).rejects.toMatchObject({
      code: 'EditorFailed',
      message: expect.stringContaining('ended with exit code 3; the edit is dropped'),
    })
  })

  it("leaves Ctrl-C in the editor to the editor: the command's own handler is not called, and is back after", async () => {
    delete process.env.VISUAL
    process.env.EDITOR = editor('ctrl-c.sh', [`kill -INT ${process.pid}`, 'sleep 0.5', 'printf kept > "$1"'])
    let interrupted = 0
    const handler = () => void interrupted++
    process.on('SIGINT', handler)
    try {
      expect((await editText('{}', 'a.json')).toString()).toBe('kept')
      expect(interrupted).toBe(0)
      expect(process.listeners('SIGINT')).toContain(handler)
    } finally {
      process.off('SIGINT', handler)
    }
  })
})
