import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseLock, HeldLock, LockRepository } from '@visage/persistence';
import { JobRuns } from './job-runs';

/** A lock table of one process: tryLock succeeds while nobody holds the name. */
function fakeLocks(): { locks: LockRepository; held: Set<DatabaseLock>; asked: unknown[] } {
  const held = new Set<DatabaseLock>();
  const asked: unknown[] = [];
  const locks = {
    async tryLock(lock: DatabaseLock, options: unknown): Promise<HeldLock | undefined> {
      asked.push(options);
      if (held.has(lock)) return undefined;
      held.add(lock);
      return { release: async () => void held.delete(lock) };
    },
  } as unknown as LockRepository;
  return { locks, held, asked };
}

describe('JobRuns', () => {
  afterEach(() => vi.useRealTimers());

  it('logFailure: a failed scheduled run is logged with what it was and ends as undefined; a good one returns its report', async () => {
    const runs = new JobRuns(fakeLocks().locks, DatabaseLock.FaceRematch);
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
    await expect(runs.logFailure(logger, 'clustering', () => Promise.reject(new Error('database gone')))).resolves.toBeUndefined();
    expect(warnings).toEqual(['clustering failed (the next run resumes): database gone']);
    await expect(runs.logFailure(logger, 'clustering', async () => ({ ran: true }))).resolves.toEqual({ ran: true });
    expect(warnings).toHaveLength(1);
  });

  it('refuses a run while one is going on in this process, and runs again once it ended', async () => {
    const runs = new JobRuns(fakeLocks().locks, DatabaseLock.FaceRematch);
    let finish: () => void = () => undefined;
    const first = runs.once(() => new Promise<string>((resolve) => (finish = () => resolve('first'))));
    await expect(runs.once(async () => 'second')).resolves.toEqual({ ran: false, reason: 'already_running' });
    finish();
    await expect(first).resolves.toBe('first');
    await expect(runs.once(async () => 'third')).resolves.toBe('third');
    // A run that throws ends too.
    await expect(runs.once(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(runs.once(async () => 'after')).resolves.toBe('after');
  });

  it('runs the work holding the lock with its options and releases it, also on failure; a held lock: locked', async () => {
    const { locks, held, asked } = fakeLocks();
    const runs = new JobRuns(locks, DatabaseLock.FaceClustering, { leaseMs: 1234 });
    await expect(runs.locked(async () => [...held])).resolves.toEqual([DatabaseLock.FaceClustering]);
    expect(asked).toEqual([{ leaseMs: 1234 }]);
    expect(held.size).toBe(0);
    await expect(runs.locked(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(held.size).toBe(0);
    held.add(DatabaseLock.FaceClustering);
    const work = vi.fn(async () => 'ran');
    await expect(runs.locked(work)).resolves.toEqual({ ran: false, reason: 'locked' });
    expect(work).not.toHaveBeenCalled();
  });

  it('ticks every interval until stopped', async () => {
    vi.useFakeTimers();
    const runs = new JobRuns(fakeLocks().locks, DatabaseLock.OutcomeRelay);
    const tick = vi.fn(async () => undefined);
    runs.every(1_000, tick);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(tick).toHaveBeenCalledTimes(3);
    runs.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(tick).toHaveBeenCalledTimes(3);
  });
});
