import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { ConfigService } from '@visage/config';
import { describeError, ImageQueuedEvent } from '@visage/domain';
import { currentLogContext, traceCarrier } from '@visage/observability';
import { emitWithin, QUEUE_CLIENT } from '@visage/queue';

/** While the queue does not answer, the unpublished ids are tried again after this, doubling … */
export const REPUBLISH_FIRST_DELAY_MS = 250;
/** … up to this: once the queue is back, they are on it within a few seconds. */
export const REPUBLISH_MAX_DELAY_MS = 2_000;
/**
 * Ids kept in memory at most; beyond it an outage is long enough for the stale-pending sweep (the rows stay
 * `pending` in the database whatever happens here).
 */
const MAX_UNPUBLISHED = 100_000;

/**
 * Announces stored images on the queue topic. A failure never throws: the row is already the source of truth.
 * The id is kept (a small in-memory outbox) and published again as soon as the queue answers, trying every
 * 250 ms doubling to 2 s, or at once when a new publish succeeds; the retry job's stale-pending sweep remains the
 * last resort (a publisher that crashed with ids in its outbox).
 */
@Injectable()
export class ImagePublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(ImagePublisher.name);
  private readonly topic: string;
  /** Events the queue did not take, by image id, kept with their request id and trace context. */
  private readonly unpublished = new Map<number, ImageQueuedEvent>();
  private retryDelayMs = REPUBLISH_FIRST_DELAY_MS;
  private timer?: NodeJS.Timeout;
  private flushing = false;
  private stopped = false;

  constructor(
    @Inject(QUEUE_CLIENT) private readonly client: Pick<ClientProxy, 'emit'>,
    config: ConfigService,
  ) {
    this.topic = config.get('QUEUE_TOPIC');
  }

  /**
   * True when the queue took the id now; false when it is kept for republishing. `requestId` defaults to the
   * current request's (the log context), so the processor and recognizer log it too.
   */
  async publish(imageId: number, requestId = currentLogContext().requestId): Promise<boolean> {
    const event: ImageQueuedEvent = { imageId, ...(requestId ? { requestId } : {}), ...traceCarrier() };
    try {
      await this.send(event);
      // The queue answers again: the ids waiting for it go now rather than at the next retry.
      if (this.unpublished.size > 0 && !this.flushing) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.flush();
      }
      return true;
    } catch (error) {
      this.logger.warn(
        `image ${imageId} is stored but the queue did not take it (${describeError(error)}); republishing as soon as the queue answers`,
      );
      this.keep(event);
      return false;
    }
  }

  /** Ids stored but not yet on the queue. */
  get unpublishedCount(): number {
    return this.unpublished.size;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.unpublished.size > 0) {
      this.logger.warn(`${this.unpublished.size} image(s) left unpublished at shutdown; they stay pending and the retry job publishes them`);
    }
  }

  private keep(event: ImageQueuedEvent): void {
    if (this.unpublished.size >= MAX_UNPUBLISHED) return;
    this.unpublished.set(event.imageId, event);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => void this.flush(), this.retryDelayMs);
    this.timer.unref();
  }

  /** Publishes the waiting ids in order; stops at the first failure and tries again later. */
  private async flush(): Promise<void> {
    this.timer = undefined;
    this.flushing = true;
    let published = 0;
    try {
      for (const [imageId, event] of [...this.unpublished]) {
        if (this.stopped) return;
        try {
          await this.send(event);
        } catch {
          this.retryDelayMs = Math.min(this.retryDelayMs * 2, REPUBLISH_MAX_DELAY_MS);
          return;
        }
        this.unpublished.delete(imageId);
        published += 1;
      }
      this.retryDelayMs = REPUBLISH_FIRST_DELAY_MS;
    } finally {
      this.flushing = false;
      if (published > 0) this.logger.log(`the queue answers again: republished ${published} image(s), ${this.unpublished.size} still waiting`);
      if (this.unpublished.size > 0) this.schedule();
    }
  }

  private send(event: ImageQueuedEvent): Promise<void> {
    return emitWithin(this.client, this.topic, event);
  }
}
