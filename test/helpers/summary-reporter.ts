import type {File, Reporter, Task} from 'vitest'

/**
 * Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that any CI log reader understands; then
 * what fails a run besides its tests, when there is any: a file failing outside its tests (a hook, its import, what it
 * left in its TMPDIR) and errors nothing handled.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: readonly unknown[] = []): void {
    const counts = {passed: 0, failed: 0, skipped: 0}
    const visit = (task: Task) => {
      if (task.type === 'suite') return task.tasks.forEach(visit)
      const state = task.result?.state
      if (state === 'pass') counts.passed++
      else if (state === 'fail') counts.failed++
      else counts.skipped++
    }
    files.forEach((file) => file.tasks.forEach(visit))
    const filesFailed = files.filter((file) => (file.result?.errors?.length ?? 0) > 0).length
    const besides = [
      ...(filesFailed > 0 ? [`${filesFailed} file(s) failed outside their tests`] : []),
      ...(errors.length > 0 ? [`${errors.length} unhandled error(s)`] : []),
    ]
    const line = `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`
    process.stdout.write(`\n${[line, ...besides].join('; ')}\n`)
  }
}
