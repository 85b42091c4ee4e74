import {expect, test} from 'vitest'

import {runOnTerminal} from './helpers/terminal.js'

test('the terminal helper fails at once, with what the screen showed, when the prompt never appears', async () => {
  const started = Date.now()
  await expect(runOnTerminal(['--version'], {env: {}, prompt: 'never asked', answer: 'y\r'})).rejects.toThrow(
    /no prompt "never asked" \(the command ended with exit code 0\); the screen showed:\n.*eventpulse\/\d/,
  )
  expect(Date.now() - started).toBeLessThan(15_000)
})
