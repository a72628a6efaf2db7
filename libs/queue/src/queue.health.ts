import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { describeError } from './delivery/delivery-policy';
import type { QueueClient } from './queue.factory';
import { QueueServer } from './queue-server';
import { QUEUE_CLIENT, QUEUE_CONSUMER } from './queue.types';
import type { ReadinessCheckProvider } from '@visage/health';

/**
 * Readiness of the queue for `HealthModule`: a process that consumes (its strategy is listening) is ready while
 * connected to at least one nsqd; a publisher is ready when it can reach its local nsqd.
 *
 *   HealthModule.forRoot({ inject: [QueueHealth], useFactory: (queue: QueueHealth) => [() => queue.check()] })
 */
@Injectable()
export class QueueHealth {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(QUEUE_CLIENT) private readonly client: QueueClient,
    @Inject(QUEUE_CONSUMER) private readonly consumer: QueueServer,
  ) {}

  async check(key = 'queue', connectTimeoutMs = 2_000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    if (this.consumer.isListening()) {
      const details = { role: 'consumer', paused: this.consumer.isPaused(), inFlight: this.consumer.inFlightCount };
      return this.consumer.isConnected()
        ? indicator.up(details)
        : indicator.down({ ...details, reason: 'not connected to any nsqd' });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
      return indicator.up({ role: 'publisher' });
    } catch (error) {
      return indicator.down({ role: 'publisher', reason: describeError(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Readiness entry for `HealthModule.forRoot(...)` in any app that imports `QueueModule`. */
export const queueReadiness: ReadinessCheckProvider = {
  inject: [QueueHealth],
  useFactory: (queue: QueueHealth) => [() => queue.check()],
};
