import { ScheduledJob, ScheduledJobDeclaration } from './scheduled-job';

/** What a job logs with: its failure line through the runner, its report lines itself (Nest's `Logger` fits). */
export interface JobLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface ScheduledJobProviderDeclaration extends ScheduledJobDeclaration {
  logger: JobLogger;
  /**
   * Whether bootstrap starts the schedule (default true). False where tests run the job by hand
   * (`REMATCH_JOB_SCHEDULED`, `RETRY_JOB_SCHEDULED`) or the job has nothing to do here (no webhook endpoint).
   */
  scheduled?: boolean;
}

/**
 * A Nest provider that is one scheduled job: the subclass declares its name, schedule, lock and logger in
 * `super(...)` and writes {@link runOnce} (one run, returning its report); this base starts the {@link ScheduledJob}
 * at application bootstrap, stops it at module destroy, and runs {@link tick} on the schedule: `runOnce` with
 * {@link logReport}, a failure ending at the runner's line "<name> failed (the next run resumes)", never thrown
 * into the timer. Nest calls the two hooks by name, so this lib needs no Nest import.
 */
export abstract class ScheduledJobProvider<Report> {
  /** The runner: its `once` and `locked` serve `runOnce`; tests fire it and read its state. */
  readonly runs: ScheduledJob;
  protected readonly logger: JobLogger;
  protected readonly scheduled: boolean;

  protected constructor({ scheduled = true, ...declaration }: ScheduledJobProviderDeclaration) {
    this.runs = new ScheduledJob(declaration);
    this.logger = declaration.logger;
    this.scheduled = scheduled;
  }

  /** One run, without the tick's log line or failure guard: tests call it by hand. */
  abstract runOnce(): Promise<Report>;

  /** The line a scheduled run's report earns, if any (none by default); a rejection counts as the tick's failure. */
  protected logReport(_report: Report): void | Promise<void> {}

  onApplicationBootstrap(): void {
    if (this.scheduled) this.runs.start(() => this.tick());
  }

  /**
   * Stops the schedule. A job with more to release (the re-match's match workers) overrides it to stop first, then
   * returns the promise of its own release, which Nest awaits.
   */
  onModuleDestroy(): void {
    this.stop();
  }

  /** No further ticks (a running one finishes); the embedded shutdown calls it on the retry job before draining. */
  stop(): void {
    this.runs.stop();
  }

  /** One run as the schedule makes it: its report logged; a failure logged and ended as undefined (the next tick resumes). */
  tick(): Promise<Report | undefined> {
    return this.runs.logFailure(async () => {
      const report = await this.runOnce();
      await this.logReport(report);
      return report;
    });
  }
}
