import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterAll, expect, it} from 'vitest'

import {PROJECT_ROOT} from '../helpers/run-cli.js'
import {tempDir} from '../helpers/temp-dirs.js'

// The README's runnable command blocks (```sh readme-test), run as one bash script, line by line as a new user would
// type them, from this clone: in a fresh home, with `npm install -g` installing into a fresh prefix. The block marked
// `background` (`eventpulse local start`, which runs in the foreground until Ctrl-C) is started in the background, on
// ports of the system's choosing (so as not to meet a pipeline the developer runs), waited for, and stopped at the
// end. Blocks left unmarked need AWS, the registry, or would rebuild the clone.

/** The README's marked blocks as a bash script that stops at the first command that fails. */
function readmeScript(readme: string): string {
  const lines = ['set -euo pipefail -x']
  for (const [, background, body] of readme.matchAll(/^```sh readme-test( background)?\n([\s\S]*?)^```$/gm)) {
    if (!background) {
      lines.push(body.trimEnd())
      continue
    }
    lines.push(
      `${body.trim()} --s3-port 0 --dynamodb-port 0 > "$HOME/background.log" 2>&1 &`,
      'BACKGROUND=$!',
      'for _ in $(seq 100); do eventpulse local status > /dev/null && break; sleep 0.3; done',
    )
  }
  lines.push('if [ -n "${BACKGROUND:-}" ]; then kill -INT "$BACKGROUND"; wait "$BACKGROUND"; fi')
  return `${lines.join('\n')}\n`
}

const packed = () => readdirSync(PROJECT_ROOT).filter((name) => /^eventpulse-.*\.tgz$/.test(name))
const packedBefore = new Set(packed())

afterAll(() => {
  for (const name of packed()) if (!packedBefore.has(name)) rmSync(join(PROJECT_ROOT, name))
})

it('runs the README, line by line, on a fresh machine', async () => {
  const script = readmeScript(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'))
  expect(script).toContain('npm install -g')
  // A fresh home (its npm prefix holds a whole install), removed afterwards.
  const home = tempDir('eventpulse-readme-')
  const prefix = join(home, 'npm-global')
  const env: NodeJS.ProcessEnv = {
    PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    HOME: home,
    // Its temporary files go where this test's are checked and removed (test/helpers/file-tmpdir.ts).
    TMPDIR: tmpdir(),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    // npm: install globally into the fresh prefix; packages from this machine's cache (there is no network here),
    // and no scripts: `npm test` has built the clone already, and `npm pack` would only build it again.
    npm_config_prefix: prefix,
    npm_config_cache: execFileSync('npm', ['config', 'get', 'cache'], {encoding: 'utf8'}).trim(),
    npm_config_prefer_offline: 'true',
    npm_config_ignore_scripts: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }
  const run = await new Promise<{stdout: string; stderr: string; exitCode: number | null}>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {cwd: PROJECT_ROOT, env})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (exitCode) => resolve({stdout, stderr, exitCode}))
  })

  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0)
  expect(run.stdout).toContain('8 examples: 3 stored, 5 quarantined, each as expected.')
  expect(run.stdout).toMatch(/^eventpulse\/\d+\.\d+\.\d+ /m)
  expect(run.stdout).toContain('Checked 3 files: 3 valid, 0 invalid.')
  expect(run.stdout).toMatch(/^stored {7}skrillex-rumble\.json {2}\(Skrillex \/ TRACK#Rumble, /m)
  expect(run.stdout).toContain('The local pipeline is running')
  expect(readFileSync(join(home, '.bashrc'), 'utf8')).toContain('EVENTPULSE_AC_BASH_SETUP_PATH')
  // The next shell completes: bash reads ~/.bashrc and knows the command's completion. zsh's line (the same with
  // `zsh`) sources a file the README's first line wrote too.
  const nextShell = spawnSync('bash', ['-i', '-c', 'complete -p eventpulse'], {env, encoding: 'utf8'})
  expect(nextShell.stdout, nextShell.stderr).toMatch(/^complete .* eventpulse$/m)
  const zsh = execFileSync('eventpulse', ['autocomplete', 'script', 'zsh'], {env, encoding: 'utf8'})
  const zshSetup = /EVENTPULSE_AC_ZSH_SETUP_PATH=(\S+)/.exec(zsh)?.[1]
  expect(zshSetup && existsSync(zshSetup), zsh).toBe(true)
  expect(run.stderr).not.toMatch(/Error|Warning/)
}, 180_000)
