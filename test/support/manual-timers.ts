/**
 * The one way tests control time: code that waits takes a timer port (`ProbeScheduler.schedule`,
 * `LeaseRenewalTimer.every`) and a test passes `ManualTimers`, which records what was asked and fires only when the
 * test says so — no real waiting, no fake global clock. (The `ScheduledJob` runner alone owns real timers and a
 * cron; its own spec drives it with vitest's fake timers.)
 */
export class ManualTimers {
  /** Every delay or interval asked for, in order. */
  readonly requestedDelays: number[] = [];
  private readonly pending = new Set<{ callback: () => void; repeats: boolean }>();

  /** One-shot timer (`ProbeScheduler`). */
  schedule(callback: () => void, delayMs: number): { cancel(): void } {
    return this.add(callback, delayMs, false);
  }

  /** Repeating timer (`LeaseRenewalTimer`). */
  every(callback: () => void, intervalMs: number): { cancel(): void } {
    return this.add(callback, intervalMs, true);
  }

  /** Timers set and neither fired (one-shot) nor cancelled. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Fires every pending timer once (a one-shot is then gone, a repeating one stays), then lets the promises the
   * callbacks started settle. Fails when nothing is pending: the test expected a timer that was never set.
   */
  async fire(): Promise<void> {
    if (this.pending.size === 0) throw new Error('no timer is pending');
    for (const timer of [...this.pending]) {
      if (!timer.repeats) this.pending.delete(timer);
      timer.callback();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  private add(callback: () => void, delayMs: number, repeats: boolean): { cancel(): void } {
    this.requestedDelays.push(delayMs);
    const timer = { callback, repeats };
    this.pending.add(timer);
    return { cancel: () => this.pending.delete(timer) };
  }
}
