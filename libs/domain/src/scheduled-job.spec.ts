import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobLock, ScheduledJob, ScheduledJobDeclaration } from './scheduled-job';

/** A lock of one process: tryLock succeeds while nobody holds it. */
function fakeLock(): JobLock & { held: boolean; asked: number } {
  const lock = {
    held: false,
    asked: 0,
    async tryLock() {
      lock.asked += 1;
      if (lock.held) return undefined;
      lock.held = true;
      return { release: async () => void (lock.held = false) };
    },
  };
  return lock;
}

function job(declaration: Partial<ScheduledJobDeclaration> = {}, warnings: string[] = []): ScheduledJob {
  return new ScheduledJob({
    name: 'clustering',
    schedule: { everyMs: 1_000 },
    logger: { warn: (message) => warnings.push(message) },
    ...declaration,
  });
}

describe('ScheduledJob', () => {
  afterEach(() => vi.useRealTimers());

  it('logFailure: a failed scheduled run is logged with its name and ends as undefined; a good one returns its report', async () => {
    const warnings: string[] = [];
    const runs = job({}, warnings);
    await expect(runs.logFailure(() => Promise.reject(new Error('database gone')))).resolves.toBeUndefined();
    expect(warnings).toEqual(['clustering failed (the next run resumes): database gone']);
    await expect(runs.logFailure(async () => ({ ran: true }))).resolves.toEqual({ ran: true });
    expect(warnings).toHaveLength(1);
  });

  it('refuses a run while one is going on in this process, and runs again once it ended', async () => {
    const runs = job();
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

  it('runs the work holding the lock and releases it, also on failure; a held lock: locked', async () => {
    const lock = fakeLock();
    const runs = job({ lock });
    await expect(runs.locked(async () => lock.held)).resolves.toBe(true);
    expect(lock.held).toBe(false);
    await expect(runs.locked(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lock.held).toBe(false);
    lock.held = true;
    const work = vi.fn(async () => 'ran');
    await expect(runs.locked(work)).resolves.toEqual({ ran: false, reason: 'locked' });
    expect(work).not.toHaveBeenCalled();
  });

  it('without a lock, runs the work in every process', async () => {
    await expect(job().locked(async () => 'ran')).resolves.toBe('ran');
  });

  it('ticks every interval until stopped, a failed tick logged and the next one run', async () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const runs = job({}, warnings);
    let ticks = 0;
    runs.start(async () => {
      if (++ticks === 1) throw new Error('database gone');
    });
    expect(runs.active).toBe(true);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(ticks).toBe(3);
    expect(warnings).toEqual(['clustering failed (the next run resumes): database gone']);
    runs.stop();
    expect(runs.active).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ticks).toBe(3);
  });

  it('ticks on a cron expression until stopped', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00.500Z') });
    const runs = job({ schedule: { cron: '*/2 * * * * *' } });
    const tick = vi.fn(async () => undefined);
    runs.start(tick);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(tick).toHaveBeenCalledTimes(3);
    runs.stop();
    await vi.advanceTimersByTimeAsync(6_000);
    expect(tick).toHaveBeenCalledTimes(3);
  });

  it('fire: one tick now, as the timer runs it (failure logged, never thrown); nothing before start', async () => {
    const warnings: string[] = [];
    const runs = job({}, warnings);
    const tick = vi.fn(async () => Promise.reject(new Error('boom')));
    await runs.fire();
    expect(tick).not.toHaveBeenCalled();
    runs.start(tick);
    runs.stop();
    await expect(runs.fire()).resolves.toBeUndefined();
    expect(tick).toHaveBeenCalledTimes(1);
    expect(warnings).toEqual(['clustering failed (the next run resumes): boom']);
  });
});
