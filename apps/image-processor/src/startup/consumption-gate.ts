import { PausableConsumer } from '@visage/queue';

/** Why the consumer takes no message: the processor is starting or stopping, or the recognizer circuit is open. */
export type HoldReason = 'starting' | 'stopping' | 'circuit_open';

/**
 * The one owner of the consumer's RDY: several parts may need it paused (start-up gating, the circuit
 * breaker, the embedded shutdown), and it takes messages again only once every one of them has let go. Without it, the breaker
 * closing during start-up would resume a consumer whose gallery is not loaded yet.
 */
export class ConsumptionGate {
  private readonly holds = new Set<HoldReason>();

  constructor(private readonly consumer: PausableConsumer) {}

  /** Pauses the consumer (RDY 0) for `reason`; idempotent. */
  hold(reason: HoldReason): void {
    this.holds.add(reason);
    this.consumer.pause();
  }

  /** Lets go of `reason`; the consumer resumes once nothing holds it any more. */
  release(reason: HoldReason): void {
    if (!this.holds.delete(reason)) return;
    if (this.holds.size === 0) this.consumer.resume();
  }

  get heldBy(): HoldReason[] {
    return [...this.holds];
  }

  /** The consumer as one holder sees it (the breaker pauses and resumes through this). */
  consumerFor(reason: HoldReason): PausableConsumer {
    return {
      pause: () => this.hold(reason),
      resume: () => this.release(reason),
      isConnected: () => this.consumer.isConnected(),
    };
  }
}
