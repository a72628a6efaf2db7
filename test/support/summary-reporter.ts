import type { RunnerTask as Task, RunnerTestFile as File } from 'vitest';
import type { Reporter } from 'vitest/node';

function collect(tasks: Task[], counts: { passed: number; failed: number; skipped: number }): void {
  for (const task of tasks) {
    if (task.type === 'suite') {
      collect(task.tasks, counts);
      continue;
    }
    const state = task.result?.state;
    if (state === 'pass') counts.passed += 1;
    else if (state === 'fail') counts.failed += 1;
    else counts.skipped += 1;
  }
}

/** Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that CI reads. */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    collect(files, counts);
    // A file that failed to load has no tests but still failed.
    counts.failed += files.filter((file) => file.result?.state === 'fail' && file.tasks.length === 0).length;
    counts.failed += errors.length;
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
