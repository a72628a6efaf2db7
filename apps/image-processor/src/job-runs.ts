import { Logger } from '@nestjs/common';
import { describeError } from '@visage/domain';
import { DatabaseLock, LockRepository, TryLockOptions } from '@visage/persistence';

/**
 * What the processor's background jobs (retry, re-match, clustering, outcome relay, webhook delivery) share: a
 * timer that never keeps the process alive, runs that never overlap within one process, and the job's lock, which
 * keeps a run to one replica at a time.
 */
export class JobRuns {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly locks: LockRepository,
    private readonly lock: DatabaseLock,
    private readonly lockOptions: TryLockOptions = {},
  ) {}

  /** Calls `tick` every `intervalMs` until {@link stop}; `tick` logs its own failures. */
  every(intervalMs: number, tick: () => Promise<unknown>): void {
    // A rejection nobody awaits would end the process (Node's default for unhandled rejections).
    this.timer = setInterval(() => void tick().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A scheduled run: its failure is logged as "<what> failed (the next run resumes)" and ends there (undefined), since
   * the next tick picks the work up again.
   */
  async logFailure<R>(logger: Logger, what: string, run: () => Promise<R>): Promise<R | undefined> {
    try {
      return await run();
    } catch (error) {
      logger.warn(`${what} failed (the next run resumes): ${describeError(error)}`);
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

  /** Runs `work` holding the job's lock, released afterwards; another replica holding it: `locked`. */
  async locked<R>(work: () => Promise<R>): Promise<R | { ran: false; reason: 'locked' }> {
    const held = await this.locks.tryLock(this.lock, this.lockOptions);
    if (!held) return { ran: false, reason: 'locked' };
    try {
      return await work();
    } finally {
      await held.release();
    }
  }
}
