import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { withTimeout } from '@visage/domain';
import { metrics } from '@visage/observability';
import { Delivery, dispatch, DispatchHost, RunningDelivery } from './delivery/message-dispatcher';
import { PausableConsumer, QueueConsumerOptions } from './queue.types';

export type QueueServerStatus = 'connected' | 'disconnected' | 'paused' | 'closed';

export interface QueueServerOptions extends QueueConsumerOptions {
  /** Graceful close waits this long for running handlers before requeueing their messages. */
  closeTimeoutMs?: number;
  /** TOUCH a running handler's message every `fraction * timeout` (default 0.5). */
  touchFraction?: number;
}

type Listener = (...args: unknown[]) => void;

/**
 * What both drivers share as Nest strategies: handler lookup, tracking of running deliveries and the graceful
 * close sequence (stop taking, wait, requeue the rest). Drivers supply the broker side.
 */
export abstract class QueueServer extends Server<Record<string, Listener>, QueueServerStatus> implements CustomTransportStrategy, PausableConsumer {
  readonly options: QueueConsumerOptions;
  readonly touchFraction: number;
  protected readonly closeTimeoutMs: number;
  private readonly running = new Set<RunningDelivery>();
  private readonly listeners = new Map<string, Listener[]>();
  private readonly dispatchHost: DispatchHost;

  protected constructor(options: QueueServerOptions) {
    super();
    const { closeTimeoutMs = 10_000, touchFraction = 0.5, ...consumer } = options;
    if (consumer.maxInFlight < 1) throw new RangeError('maxInFlight must be at least 1');
    if (consumer.maxAttempts < 1) throw new RangeError('maxAttempts must be at least 1');
    if (!(touchFraction > 0 && touchFraction < 1)) throw new RangeError('touchFraction must be between 0 and 1');
    this.options = consumer;
    this.touchFraction = touchFraction;
    this.closeTimeoutMs = closeTimeoutMs;
    this.dispatchHost = {
      options: consumer,
      logger: this.logger,
      touchFraction,
      handlerFor: (pattern: string): MessageHandler | null => this.getHandlerByPattern(pattern),
    };
  }

  abstract pause(): void;
  abstract resume(): void;
  abstract isConnected(): boolean;
  abstract isPaused(): boolean;
  /** listen() was called and close() was not. */
  abstract isListening(): boolean;

  /** Messages whose handlers are running now. */
  get inFlightCount(): number {
    return this.running.size;
  }

  on(event: string, callback: Listener): void {
    const list = this.listeners.get(event) ?? [];
    list.push(callback);
    this.listeners.set(event, list);
  }

  protected emitEvent(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }

  protected setStatus(status: QueueServerStatus): void {
    this._status$.next(status);
  }

  protected deliver(delivery: Delivery): Promise<unknown> {
    const running = dispatch(this.dispatchHost, delivery);
    this.running.add(running);
    metrics.queueInFlight.inc();
    return running.settled.finally(() => {
      this.running.delete(running);
      metrics.queueInFlight.dec();
    });
  }

  /** Waits for running handlers up to closeTimeoutMs, then requeues the messages of those still running. */
  protected async drain(): Promise<number> {
    const pending = [...this.running];
    if (pending.length === 0) return 0;
    // allSettled never rejects, so a rejection here is the timeout.
    const finished = await withTimeout(Promise.allSettled(pending.map((item) => item.settled)), this.closeTimeoutMs).then(
      () => true,
      () => false,
    );
    if (finished) return 0;
    const stuck = [...this.running];
    for (const item of stuck) item.abandon();
    this.logger.warn?.(`${this.options.topic}: closed with ${stuck.length} handler(s) still running; their messages were requeued`);
    return stuck.length;
  }
}
