import { Logger, OnModuleDestroy } from '@nestjs/common';
import CircuitBreaker from 'opossum';
import { cappedBackoffMs, describeError, FaceAnalysis, FaceAnalysisError, FaceAnalyzer, RECOGNIZER_OVERLOADED } from '@visage/domain';
import { PausableConsumer } from '@visage/queue';
import { ProcessorError } from '../processor-error';

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
  /** Overloaded answers since the last analysis that went through (back-pressure; they never open the circuit). */
  consecutiveOverloads: number;
  /** Wait before the next probe (set while not closed). */
  probeDelayMs?: number;
  /** Epoch ms of the next probe (set while open). */
  nextProbeAt?: number;
}

/** Thrown instead of calling the recognizer while the circuit is not closed. */
export class BreakerOpenError extends ProcessorError {
  constructor(readonly retryInMs: number) {
    super('circuit_open', 'recognizer circuit is open');
  }
}

/**
 * Thrown when the recognizer answered "overloaded" (queue full, or the deadline passed in its queue): the call
 * should be deferred by `retryInMs`, a backoff that grows while the overload lasts, without spending an attempt.
 */
export class RecognizerOverloadedError extends ProcessorError {
  constructor(
    readonly retryInMs: number,
    override readonly cause: FaceAnalysisError,
  ) {
    super('recognizer_overloaded', `recognizer overloaded (${cause.code}: ${cause.message})`);
  }
}

/** Back-off of overload deferrals: 500 ms doubling per consecutive overloaded answer, up to 30 s, plus up to 25 % jitter. */
const OVERLOAD_BACKOFF_BASE_MS = 500;
const OVERLOAD_BACKOFF_MAX_MS = 30_000;

function isOverload(error: unknown): error is FaceAnalysisError {
  return error instanceof FaceAnalysisError && error.reason === RECOGNIZER_OVERLOADED;
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

/** Errors that prove the recognizer works (opossum's errorFilter: not counted as failures). */
function provesServiceWorks(error: unknown): boolean {
  return (error instanceof FaceAnalysisError && error.kind === 'permanent') || isOverload(error);
}

/**
 * Circuit breaker around `FaceAnalyzer.analyze`, built on opossum for the call path (fail fast while open,
 * success/failure events, stats) but with its own trip and recovery rules:
 *
 * - trips after N *consecutive* transient failures (opossum's rolling error percentage is disabled);
 *   a permanent error proves the service works, so it resets the count (opossum `errorFilter`);
 * - overload (the recognizer's queue full, or the deadline passed in it) is back-pressure, not a failure: it never
 *   opens the circuit; it throws {@link RecognizerOverloadedError} with a backoff that doubles per consecutive
 *   overloaded answer (shared by every image of this processor) and resets on the next analysis that goes through;
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
  private consecutiveOverloads = 0;
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
    this.circuit = new CircuitBreaker(
      (path: string, options?: { deadlineMs?: number; includeLandmarks?: boolean }) => analyzer.analyze(path, options),
      {
        name: 'face-recognition',
        // The gRPC deadline bounds each call; a second opossum timer would only race it.
        timeout: false,
        // Never trip on opossum's percentage: errorRate > 100 is impossible. Tripping is counted below.
        errorThresholdPercentage: 100,
        resetTimeout: NEVER_MS,
        errorFilter: provesServiceWorks,
      },
    );
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
    const counts = { consecutiveFailures: this.consecutiveFailures, consecutiveOverloads: this.consecutiveOverloads };
    if (this.currentState === 'closed') return { state: 'closed', ...counts };
    return {
      state: this.currentState,
      ...counts,
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

  /**
   * Analyzes through the circuit; throws {@link BreakerOpenError} without calling anything while open, and
   * {@link RecognizerOverloadedError} when the recognizer answered that it is overloaded.
   */
  async analyze(path: string, options?: { deadlineMs?: number; includeLandmarks?: boolean }): Promise<FaceAnalysis> {
    if (this.currentState !== 'closed') throw new BreakerOpenError(this.retryInMs());
    try {
      const analysis = await this.circuit.fire(path, options);
      this.consecutiveOverloads = 0;
      return analysis;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') throw new BreakerOpenError(this.retryInMs());
      if (isOverload(error)) {
        this.consecutiveOverloads += 1;
        if (this.consecutiveOverloads === 1)
          this.logger.warn(`recognizer overloaded (${error.code}: ${error.message}): deferring images with a backoff`);
        throw new RecognizerOverloadedError(this.overloadBackoffMs(), error);
      }
      this.consecutiveOverloads = 0;
      throw error;
    }
  }

  private overloadBackoffMs(): number {
    const backoff = cappedBackoffMs(this.consecutiveOverloads, OVERLOAD_BACKOFF_BASE_MS, OVERLOAD_BACKOFF_MAX_MS);
    // Jitter, so the deferred images of several processors do not come back in one wave.
    return Math.round(backoff * (1 + Math.random() / 4));
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
    const serving = await this.analyzer.isServing({ deadlineMs: this.settings.probeDeadlineMs }).catch((error: unknown) => {
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
