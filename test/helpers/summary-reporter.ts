import type {File, Reporter, Task} from 'vitest'

/** Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that any CI log reader understands. */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = []): void {
    const counts = {passed: 0, failed: 0, skipped: 0}
    const visit = (task: Task) => {
      if (task.type === 'suite') return task.tasks.forEach(visit)
      const state = task.result?.state
      if (state === 'pass') counts.passed++
      else if (state === 'fail') counts.failed++
      else counts.skipped++
    }
    files.forEach((file) => file.tasks.forEach(visit))
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
