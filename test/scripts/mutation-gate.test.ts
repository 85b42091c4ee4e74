import {execFileSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect, test} from 'vitest'

// @ts-expect-error: a plain ES module script, without types
import {floorsReport, gateState, inputsDigest, modulePatterns} from '../../scripts/mutation-gate.mjs'
import {tempDir} from '../helpers/temp-dirs.js'

/** A report in Stryker's JSON schema, with `killed` killed and `survived` surviving mutants per file. */
function report(files: Record<string, {killed: number; survived: number; noCoverage?: number; ignored?: number}>) {
  const mutants = (status: string, count = 0) => Array.from({length: count}, () => ({status}))
  return {
    files: Object.fromEntries(
      Object.entries(files).map(([path, counts]) => [
        path,
        {
          mutants: [
            ...mutants('Killed', counts.killed),
            ...mutants('Survived', counts.survived),
            ...mutants('NoCoverage', counts.noCoverage),
            ...mutants('Ignored', counts.ignored),
          ],
        },
      ]),
    ),
  }
}

test('each module (a src/lib folder, or infra) must meet its own floor: 85% for the processor, record, quarantine, local and infra, 70% elsewhere', () => {
  const {below, lines} = floorsReport(
    report({
      // 85 of 100 across two files of one module: exactly its floor.
      'src/lib/processor/a.ts': {killed: 80, survived: 10},
      'src/lib/processor/b.ts': {killed: 5, survived: 5, ignored: 40},
      // 84 of 100: one below, though the overall score is far above 85%.
      'src/lib/quarantine/actions.ts': {killed: 84, survived: 10, noCoverage: 6},
      'src/lib/upload/plan.ts': {killed: 700, survived: 300},
      'src/lib/status/key-status.ts': {killed: 69, survived: 31},
      'infra/stack.ts': {killed: 1000, survived: 0},
    }),
  )
  expect(below).toEqual(['quarantine', 'status'])
  expect(lines).toEqual([
    'module        score  floor  mutants',
    'infra         100.0     85     1000',
    'processor      85.0     85      100',
    'quarantine     84.0     85      100  BELOW ITS FLOOR',
    'status         69.0     70      100  BELOW ITS FLOOR',
    'upload         70.0     70     1000',
  ])
})

test('the inputs digest changes with a source, a test, a helper or the configuration, and with a new or deleted file; not with the README', () => {
  const repo = tempDir('gate-')
  const git = (...args: string[]) => execFileSync('git', args, {cwd: repo, stdio: 'ignore'})
  const write = (path: string, text: string) => {
    mkdirSync(join(repo, path, '..'), {recursive: true})
    writeFileSync(join(repo, path), text)
  }
  try {
    git('init', '-q')
    write('src/lib/record/check.ts', 'export const a = 1\n')
    write('test/record/check.test.ts', 'test 1\n')
    write('test/helpers/fake.ts', 'fake 1\n')
    write('stryker.config.mjs', 'export default {}\n')
    write('README.md', 'readme 1\n')
    git('add', '.')
    const first = inputsDigest(repo)
    expect(first.files).toBe(4)

    write('README.md', 'readme 2\n')
    expect(inputsDigest(repo).digest).toBe(first.digest)
    const changes: [string, string | undefined][] = [
      ['src/lib/record/check.ts', 'export const a = 2\n'],
      ['test/record/check.test.ts', 'test 2\n'],
      ['test/helpers/fake.ts', 'fake 2\n'],
      ['stryker.config.mjs', 'export default {concurrency: 1}\n'],
      // Not yet added to git: a new test counts as soon as it is there.
      ['test/record/new.test.ts', 'new\n'],
      ['test/record/check.test.ts', undefined],
    ]
    const seen = new Set([first.digest])
    for (const [path, text] of changes) {
      if (text === undefined) rmSync(join(repo, path))
      else write(path, text)
      const {digest} = inputsDigest(repo)
      expect(seen.has(digest), path).toBe(false)
      seen.add(digest)
    }
  } finally {
    rmSync(repo, {recursive: true, force: true})
  }
})

test("the modules are stryker.config.mjs's mutate patterns by src/lib folder (or infra), each run with its patterns", () => {
  const modules = modulePatterns([
    'src/lib/processor/**/*.ts',
    'src/lib/validate/same-key.ts',
    'infra/stack.ts',
    'src/lib/validate/validate-files.ts',
    'infra/policies/**/*.ts',
  ])
  expect([...modules]).toEqual([
    ['processor', ['src/lib/processor/**/*.ts']],
    ['validate', ['src/lib/validate/same-key.ts', 'src/lib/validate/validate-files.ts']],
    ['infra', ['infra/stack.ts', 'infra/policies/**/*.ts']],
  ])
})

test('a module is armed once a refresh of its baseline is recorded, and stale when the inputs changed since', () => {
  const modules = ['processor', 'record', 'status']
  const recorded = {processor: {digest: 'aaa', files: 3}, status: {digest: 'bbb', files: 3}}
  expect(gateState(modules, recorded, {digest: 'aaa', files: 3})).toEqual({
    armed: ['processor', 'status'],
    unarmed: ['record'],
    stale: ['status'],
  })
  expect(gateState(modules, {}, {digest: 'aaa', files: 3})).toEqual({armed: [], unarmed: modules, stale: []})
  // A module recorded but no longer in the configuration is not checked.
  expect(gateState(['record'], recorded, {digest: 'ccc', files: 3})).toEqual({
    armed: [],
    unarmed: ['record'],
    stale: [],
  })
})
