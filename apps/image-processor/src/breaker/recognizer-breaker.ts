import { Logger, OnModuleDestroy } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { describeError, FaceAnalysis, FaceAnalysisError, FaceAnalyzer } from '@visage/domain';
import { PausableConsumer } from '@visage/queue';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  /** Consecutive transient failures that open the circuit (BREAKER_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Wait before the first health probe after opening (BREAKER_PROBE_INITIAL_MS). */
  probeInitialMs: number;
  /** Cap of the doubling wait between failed probes (BREAKER_PROBE_MAX_MS). */
  probeMaxMs: number;
  /** Deadline of one gRPC health probe. */
  probeDeadlineMs: number;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** Wait before the next probe (set while not closed). */
  probeDelayMs?: number;
  /** Epoch ms of the next probe (set while open). */
  nextProbeAt?: number;
}

/** Thrown instead of calling the recognizer while the circuit is not closed. */
export class BreakerOpenError extends Error {
  constructor(readonly retryInMs: number) {
    super('recognizer circuit is open');
    this.name = 'BreakerOpenError';
  }
}

/** Timer seam: production uses setTimeout; tests drive probes by hand instead of waiting or faking time. */
export interface ProbeScheduler {
  schedule(callback: () => void, delayMs: number): { cancel(): void };
}

export const timerProbeScheduler: ProbeScheduler = {
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** setTimeout's largest delay: opossum's own half-open timer is pushed this far out and then re-armed. */
const NEVER_MS = 2 ** 31 - 1;
const MIN_DEFER_MS = 1_000;

function isPermanent(error: unknown): boolean {
  return error instanceof FaceAnalysisError && error.kind === 'permanent';
}

/**
 * Circuit breaker around `FaceAnalyzer.analyze`, built on opossum for the call path (fail fast while open,
 * success/failure events, stats) but with its own trip and recovery rules:
 *
 * - trips after N *consecutive* transient failures (opossum's rolling error percentage is disabled);
 *   a permanent error proves the service works, so it resets the count (opossum `errorFilter`);
 * - never lets a live request probe the service: opossum's `resetTimeout` half-open is pushed out of
 *   reach, and recovery is decided by `FaceAnalyzer.isServing()` (gRPC health), probed after
 *   probeInitialMs, doubling after each failed probe up to probeMaxMs; the first healthy probe closes it;
 * - pauses the queue consumer (RDY 0) while open and resumes it on close, so messages stay in the broker.
 */
export class RecognizerBreaker implements OnModuleDestroy {
  private readonly logger = new Logger('RecognizerBreaker');
  private readonly circuit: CircuitBreaker<[string, { deadlineMs?: number; includeLandmarks?: boolean }?], FaceAnalysis>;
  private currentState: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private probeDelayMs: number;
  private nextProbeAt: number | undefined;
  private pendingProbe: { cancel(): void } | undefined;
  private stopped = false;
  private readonly listeners: Array<(state: BreakerState) => void> = [];

  constructor(
    private readonly analyzer: FaceAnalyzer,
    private readonly settings: BreakerSettings,
    private readonly consumer: PausableConsumer | undefined,
    private readonly scheduler: ProbeScheduler = timerProbeScheduler,
  ) {
    this.probeDelayMs = settings.probeInitialMs;
    this.circuit = new CircuitBreaker((path: string, options?: { deadlineMs?: number; includeLandmarks?: boolean }) => analyzer.analyze(path, options), {
      name: 'face-recognition',
      // The gRPC deadline bounds each call; a second opossum timer would only race it.
      timeout: false,
      // Never trip on opossum's percentage: errorRate > 100 is impossible. Tripping is counted below.
      errorThresholdPercentage: 100,
      resetTimeout: NEVER_MS,
      errorFilter: isPermanent,
    });
    this.circuit.on('success', () => {
      this.consecutiveFailures = 0;
    });
    this.circuit.on('failure', (error: Error) => {
      this.consecutiveFailures += 1;
      if (this.currentState === 'closed' && this.consecutiveFailures >= settings.failureThreshold) {
        this.logger.warn(`${this.consecutiveFailures} consecutive recognizer failures (last: ${error.message})`);
        this.circuit.open();
      }
    });
    this.circuit.on('open', () => this.onOpened());
    this.circuit.on('close', () => this.onClosed());
    // Only reachable after ~24.8 days open: never let opossum's timer admit a live request.
    this.circuit.on('halfOpen', () => {
      if (this.currentState !== 'closed') this.circuit.open();
    });
  }

  get state(): BreakerState {
    return this.currentState;
  }

  get isClosed(): boolean {
    return this.currentState === 'closed';
  }

  snapshot(): BreakerSnapshot {
    if (this.currentState === 'closed') return { state: 'closed', consecutiveFailures: this.consecutiveFailures };
    return {
      state: this.currentState,
      consecutiveFailures: this.consecutiveFailures,
      probeDelayMs: this.probeDelayMs,
      nextProbeAt: this.nextProbeAt,
    };
  }

  /** How long a deferred message should wait: until the next probe could have closed the circuit. */
  retryInMs(): number {
    const untilProbe = this.nextProbeAt === undefined ? this.probeDelayMs : this.nextProbeAt - Date.now();
    return Math.max(MIN_DEFER_MS, untilProbe);
  }

  onStateChange(listener: (state: BreakerState) => void): void {
    this.listeners.push(listener);
  }

  /** Analyzes through the circuit; throws {@link BreakerOpenError} without calling anything while open. */
  async analyze(path: string, options?: { deadlineMs?: number; includeLandmarks?: boolean }): Promise<FaceAnalysis> {
    if (this.currentState !== 'closed') throw new BreakerOpenError(this.retryInMs());
    try {
      return await this.circuit.fire(path, options);
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(this.retryInMs());
      throw error;
    }
  }

  /** Nest calls this on app close (the breaker is a factory-provided instance). */
  onModuleDestroy(): void {
    this.shutdown();
  }

  /** Stops probing; the consumer is left to the transport's own shutdown. */
  shutdown(): void {
    this.stopped = true;
    this.pendingProbe?.cancel();
    this.pendingProbe = undefined;
    this.circuit.shutdown();
  }

  private onOpened(): void {
    if (this.currentState !== 'closed') return; // opossum re-armed after its own half-open: not a change
    this.probeDelayMs = this.settings.probeInitialMs;
    this.setState('open', `consumer paused; first health probe in ${this.probeDelayMs} ms`);
    this.consumer?.pause();
    this.scheduleProbe();
  }

  private onClosed(): void {
    this.consecutiveFailures = 0;
    this.probeDelayMs = this.settings.probeInitialMs;
    this.nextProbeAt = undefined;
    this.setState('closed', 'recognizer is serving; consumer resumed');
    this.consumer?.resume();
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.nextProbeAt = Date.now() + this.probeDelayMs;
    this.pendingProbe = this.scheduler.schedule(() => void this.probe(), this.probeDelayMs);
  }

  private async probe(): Promise<void> {
    this.pendingProbe = undefined;
    if (this.stopped || this.currentState !== 'open') return;
    this.nextProbeAt = undefined;
    this.setState('half_open', 'probing the recognizer health check');
    const serving = await this.analyzer
      .isServing({ deadlineMs: this.settings.probeDeadlineMs })
      .catch((error: unknown) => {
        this.logger.debug(`health probe failed: ${describeError(error)}`);
        return false;
      });
    if (this.stopped) return;
    if (serving) {
      this.circuit.close(); // emits 'close' → onClosed
      return;
    }
    this.probeDelayMs = Math.min(this.probeDelayMs * 2, this.settings.probeMaxMs);
    this.setState('open', `recognizer not serving; next health probe in ${this.probeDelayMs} ms`);
    this.scheduleProbe();
  }

  private setState(state: BreakerState, detail: string): void {
    const previous = this.currentState;
    this.currentState = state;
    const message = `circuit ${previous} → ${state}: ${detail}`;
    if (state === 'closed') this.logger.log(message);
    else this.logger.warn(message);
    for (const listener of this.listeners) listener(state);
  }
}
