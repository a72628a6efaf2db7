import { CronJob } from 'cron';
import { describeError } from './errors';

/** When a job runs: every `everyMs`, or on a cron expression (seconds first, as `RETRY_CRON`). */
export type JobSchedule = { everyMs: number } | { cron: string };

/** The lock that keeps a run to one replica (`LockRepository.jobLock` in libs/persistence). */
export interface JobLock {
  /** The lock, or undefined when another replica holds it. */
  tryLock(): Promise<{ release(): Promise<void> } | undefined>;
}

export interface ScheduledJobDeclaration {
  /** What the job does, as its failure line says it: "<name> failed (the next run resumes)". */
  name: string;
  schedule: JobSchedule;
  /** Without one, every replica runs the job (the gallery refresh: each replica holds its own gallery). */
  lock?: JobLock;
  logger: { warn(message: string): void };
  /**
   * Where a cron-scheduled job is registered besides: the processor passes @nestjs/schedule's `SchedulerRegistry`,
   * so the retry job is a Nest scheduled job (listed, stopped and replaced through the registry) while this runner
   * keeps its lock, overlap and failure rules.
   */
  cronRegistry?: CronRegistry;
}

/** The part of @nestjs/schedule's `SchedulerRegistry` a cron-scheduled job is registered with. */
export interface CronRegistry {
  addCronJob(name: string, job: CronJob): void;
  deleteCronJob(name: string): void;
}

/**
 * The one runner of periodic work (the processor's jobs, the gallery refresh): each job declares its name,
 * schedule and lock once and starts and stops it here. It owns the timer (unref'd: it never keeps the process
 * alive), runs that never overlap within one process ({@link once}), the lock ({@link locked}), the failure line
 * and the stop at shutdown. Nothing else in a job calls `setInterval` or builds a `CronJob` (lint keeps it so).
 */
export class ScheduledJob {
  private timer?: NodeJS.Timeout;
  private cron?: CronJob;
  private running = false;
  private tick?: () => Promise<unknown>;

  constructor(readonly declaration: ScheduledJobDeclaration) {}

  get name(): string {
    return this.declaration.name;
  }

  /** Whether {@link start} armed the timer and {@link stop} has not disarmed it. */
  get active(): boolean {
    return this.timer !== undefined || this.cron !== undefined;
  }

  /** Calls `tick` on the schedule until {@link stop}; a failed tick is logged and the next one runs as usual. */
  start(tick: () => Promise<unknown>): void {
    this.stop();
    this.tick = tick;
    // fire() never rejects: a rejection nobody awaits would end the process (Node's default).
    const scheduledTick = (): void => void this.fire();
    const { schedule } = this.declaration;
    if ('cron' in schedule) {
      this.cron = CronJob.from({ cronTime: schedule.cron, onTick: scheduledTick, start: true, unrefTimeout: true });
      this.declaration.cronRegistry?.addCronJob(this.name, this.cron);
    } else {
      this.timer = setInterval(scheduledTick, schedule.everyMs);
      this.timer.unref();
    }
  }

  /** No further ticks; a tick already running finishes. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    // cron's stop() returns a promise only for an onComplete callback, which no job has.
    if (this.cron) {
      void this.cron.stop();
      this.declaration.cronRegistry?.deleteCronJob(this.name);
    }
    this.timer = undefined;
    this.cron = undefined;
  }

  /** One scheduled tick now, as the timer runs it (failure logged, never thrown); nothing before {@link start}. */
  async fire(): Promise<void> {
    if (this.tick) await this.logFailure(this.tick);
  }

  /**
   * A run whose failure is logged as "<name> failed (the next run resumes)" and ends there (undefined), since the
   * next tick picks the work up again.
   */
  async logFailure<R>(run: () => Promise<R>): Promise<R | undefined> {
    try {
      return await run();
    } catch (error) {
      this.declaration.logger.warn(`${this.name} failed (the next run resumes): ${describeError(error)}`);
      return undefined;
    }
  }

  /** Runs `run`, unless this process is running it already. */
  async once<R>(run: () => Promise<R>): Promise<R | { ran: false; reason: 'already_running' }> {
    if (this.running) return { ran: false, reason: 'already_running' };
    this.running = true;
    try {
      return await run();
    } finally {
      this.running = false;
    }
  }

  /** Runs `work` holding the job's lock, released afterwards; another replica holding it: `locked`. No lock: runs it. */
  async locked<R>(work: () => Promise<R>): Promise<R | { ran: false; reason: 'locked' }> {
    if (!this.declaration.lock) return work();
    const held = await this.declaration.lock.tryLock();
    if (!held) return { ran: false, reason: 'locked' };
    try {
      return await work();
    } finally {
      await held.release();
    }
  }
}
