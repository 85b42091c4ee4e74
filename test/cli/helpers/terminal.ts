import {spawn} from 'node:child_process'
import {join} from 'node:path'

import {cliEnv, PROJECT_ROOT, type CliRun} from '../../helpers/run-cli.js'

/** How long a prompt may take to show up: the CLI starting and asking, on a loaded machine. */
const PROMPT_TIMEOUT_MS = 20_000

/** What pressing Ctrl-C sends down a terminal. */
export const CTRL_C = '\u0003'

/** One exchange with a command on a terminal: once `prompt` shows up (after the previous one's), type `answer`. */
export interface TerminalStep {
  prompt: string
  answer: string
  /** Done after the prompt showed up and before answering: another change made while the command waits. */
  beforeAnswer?: () => Promise<void>
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` once `prompt` shows up.
 * Everything the command writes, stdout and stderr alike, comes back as stdout. Rejects with what the screen showed
 * when the prompt does not show up: the command ended without it, or it took longer than `timeoutMs`.
 */
export function runOnTerminal(
  args: string[],
  options: {env: NodeJS.ProcessEnv; prompt: string; answer: string; timeoutMs?: number},
): Promise<CliRun> {
  return runOnTerminalSteps(args, {...options, steps: [{prompt: options.prompt, answer: options.answer}]})
}

/**
 * runOnTerminal for several exchanges, in order: each step's prompt is looked for in what the screen showed after
 * the previous step's prompt, so a prompt shown once per entry is answered once per entry. Each prompt has
 * `timeoutMs` to show up; the terminal's input ends after the last answer.
 */
export function runOnTerminalSteps(
  args: string[],
  options: {env: NodeJS.ProcessEnv; steps: TerminalStep[]; timeoutMs?: number},
): Promise<CliRun> {
  const command = ['node', join(PROJECT_ROOT, 'bin/run.js'), ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ')
  const timeoutMs = options.timeoutMs ?? PROMPT_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {env: cliEnv(options.env)})
    let stdout = ''
    let step = 0
    // Where on the screen the next prompt is looked for: past the one answered last.
    let from = 0
    let timer: NodeJS.Timeout
    const noPrompt = (why: string) =>
      new Error(`no prompt "${options.steps[step].prompt}" (${why}); the screen showed:\n${stdout}`)
    const waitForPrompt = () => {
      timer = setTimeout(() => {
        child.kill()
        reject(noPrompt(`not within ${timeoutMs} ms`))
      }, timeoutMs)
    }
    waitForPrompt()
    // Set while a step's beforeAnswer runs: the screen is read on once it is done.
    let paused = false
    const answerPrompts = () => {
      while (!paused && step < options.steps.length) {
        const {prompt, answer, beforeAnswer} = options.steps[step]
        const at = stdout.indexOf(prompt, from)
        if (at === -1) return
        clearTimeout(timer)
        from = at + prompt.length
        step++
        const type = () => {
          if (step === options.steps.length) child.stdin.end(answer)
          else {
            child.stdin.write(answer)
            waitForPrompt()
          }
        }
        if (!beforeAnswer) type()
        else {
          paused = true
          beforeAnswer().then(
            () => {
              paused = false
              type()
              answerPrompts()
            },
            (error) => {
              child.kill()
              reject(error)
            },
          )
        }
      }
    }
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      answerPrompts()
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (exitCode) => {
      clearTimeout(timer)
      if (step === options.steps.length) resolve({stdout, stderr: '', exitCode})
      else reject(noPrompt(`the command ended with exit code ${exitCode}`))
    })
  })
}
