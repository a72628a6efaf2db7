import { describe, expect, it } from 'vitest';
import { ScheduledJobProvider } from './scheduled-job-provider';

type CountReport = { ran: false; reason: 'already_running' } | { ran: true; run: number };

/** A job as the processor's are written: a declaration in super(), one run, one report line. */
class CountingJob extends ScheduledJobProvider<CountReport> {
  /** Runs begun so far. */
  started = 0;
  /** The runs (1-based) that throw, as a database gone mid-run would. */
  failing = new Set<number>();

  constructor(
    scheduled?: boolean,
    readonly lines: string[] = [],
    readonly warnings: string[] = [],
  ) {
    super({
      name: 'counting',
      schedule: { everyMs: 1_000 },
      logger: { log: (message) => lines.push(message), warn: (message) => warnings.push(message) },
      scheduled,
    });
  }

  override runOnce(): Promise<CountReport> {
    return this.runs.once(async () => {
      const run = ++this.started;
      if (this.failing.has(run)) throw new Error(`run ${run} failed`);
      return { ran: true as const, run };
    });
  }

  protected override logReport(report: CountReport): void | Promise<void> {
    if (report.ran) this.lines.push(`run ${report.run}`);
  }
}

// The timer itself is the runner's (scheduled-job.spec.ts drives it with fake timers): here `runs.active` says
// whether it is armed and `runs.fire()` is one tick as the timer makes it.
describe('ScheduledJobProvider', () => {
  it('starts the schedule at application bootstrap and stops it at module destroy', async () => {
    const job = new CountingJob();
    expect(job.runs.active).toBe(false);
    job.onApplicationBootstrap();
    expect(job.runs.active).toBe(true);
    await job.runs.fire();
    await job.runs.fire();
    expect(job.lines).toEqual(['run 1', 'run 2']);
    job.onModuleDestroy();
    expect(job.runs.active).toBe(false);
  });

  it('scheduled: false leaves the timer off (tests run it by hand), and runOnce logs nothing', async () => {
    const job = new CountingJob(false);
    job.onApplicationBootstrap();
    expect(job.runs.active).toBe(false);
    await job.runs.fire();
    expect(job.started).toBe(0);
    await expect(job.runOnce()).resolves.toEqual({ ran: true, run: 1 });
    expect(job.lines).toEqual([]);
  });

  it('a failing tick ends at its failure line, never thrown; the next tick runs as usual', async () => {
    const job = new CountingJob();
    job.failing.add(1);
    await expect(job.tick()).resolves.toBeUndefined();
    expect(job.warnings).toEqual(['counting failed (the next run resumes): run 1 failed']);
    await expect(job.tick()).resolves.toEqual({ ran: true, run: 2 });
    expect(job.lines).toEqual(['run 2']);
  });

  it('a scheduled tick that fails is logged and the schedule goes on', async () => {
    const job = new CountingJob();
    job.failing.add(1);
    job.onApplicationBootstrap();
    await expect(job.runs.fire()).resolves.toBeUndefined();
    expect(job.warnings).toEqual(['counting failed (the next run resumes): run 1 failed']);
    expect(job.runs.active).toBe(true);
    await job.runs.fire();
    expect(job.lines).toEqual(['run 2']);
    job.onModuleDestroy();
  });

  it('a report line that fails counts as the tick failing', async () => {
    class BadLine extends CountingJob {
      protected override logReport(): Promise<void> {
        return Promise.reject(new Error('no progress'));
      }
    }
    const job = new BadLine();
    await expect(job.tick()).resolves.toBeUndefined();
    expect(job.warnings).toEqual(['counting failed (the next run resumes): no progress']);
  });
});
