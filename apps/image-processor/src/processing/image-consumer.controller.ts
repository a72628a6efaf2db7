import { Controller, Injectable, Logger, Type, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { decodeImageQueuedEvent } from '@visage/domain';
import { DeadLetter, deadLetterPattern, DeferMessageError, QueueContext, QueueExceptionFilter, RetryMessageError } from '@visage/queue';
import { metrics, withLogContext, withQueueSpan } from '@visage/observability';
import { ProcessorError } from '../processor-error';
import { DeferReason, ProcessImageService, ProcessResult } from './process-image.service';

const DEFER_REASONS: Record<DeferReason, string> = {
  circuit_open: 'recognizer circuit open',
  leased: 'leased by another consumer',
  models_loading: 'recognizer still loading its models',
  overloaded: 'recognizer overloaded (back-pressure)',
};

/**
 * Maps a processing outcome to the transport: return → FIN; {@link RetryMessageError} → REQ after the image's
 * stored backoff, or a `ProcessorError('retry_later')` → REQ after the transport's growing delay (both count an attempt);
 * {@link DeferMessageError} → requeue after the delay without counting an attempt.
 */
export function settleDelivery(result: ProcessResult): void {
  switch (result.status) {
    case 'processed':
    case 'unrecognized':
    case 'failed_permanent':
    case 'skipped':
      return;
    case 'failed_transient':
      if (!result.willRetry) return;
      if (result.retryInMs !== undefined) throw new RetryMessageError(result.retryInMs, `image ${result.imageId}: ${result.error}`);
      throw new ProcessorError('retry_later', `image ${result.imageId}: ${result.error}`);
    case 'deferred':
      throw new DeferMessageError(result.retryInMs, `image ${result.imageId}: ${DEFER_REASONS[result.reason]}`);
  }
}

/**
 * Handlers of the images topic and its dead letters. The topic is configurable (QUEUE_TOPIC) while
 * `@EventPattern` is static, so {@link createImageConsumerController} subclasses this per topic.
 */
@Injectable()
export class ImageConsumer {
  protected readonly logger = new Logger('ImageConsumer');

  constructor(private readonly processor: ProcessImageService) {}

  async onImageQueued(data: unknown, context: QueueContext): Promise<void> {
    const event = decodeImageQueuedEvent(data);
    if (!event) {
      // A poison message can never succeed: acknowledge it (FIN) instead of letting it loop.
      this.logger.warn(`acknowledged an undecodable message ${context.message.id}: ${preview(data)}`);
      return;
    }
    const handle = async () => {
      const result = await this.processor.process(event.imageId);
      metrics.imageAttempts.inc({ result: result.status });
      this.log(result, context);
      settleDelivery(result);
    };
    await withLogContext({ app: 'image-processor', imageId: event.imageId, requestId: event.requestId }, () =>
      withQueueSpan('image.process', event, handle),
    );
  }

  async onDeadLetter(letter: DeadLetter): Promise<void> {
    const event = decodeImageQueuedEvent(letter.data);
    if (!event) {
      this.logger.warn(`dropped an undecodable dead letter: ${preview(letter.data)}`);
      return;
    }
    const reason = `gave up after ${letter.attempts} deliveries: ${letter.error}`;
    const marked = await this.processor.deadLettered(event.imageId, reason);
    if (marked === 'marked') metrics.imageOutcomes.inc({ status: 'failed' });
    this.logger.warn(`image ${event.imageId}: dead letter (${reason}) → ${marked}`);
  }

  private log(result: ProcessResult, context: QueueContext): void {
    const where = `image ${result.imageId} (delivery ${context.message.attempts})`;
    switch (result.status) {
      case 'processed':
        return this.logger.log(`${where}: processed, ${result.faces} face(s), persons ${result.personIds.join(', ')}`);
      case 'unrecognized':
        return this.logger.log(`${where}: unrecognized, ${result.faces} face(s)`);
      case 'failed_permanent':
        return this.logger.warn(`${where}: failed for good: ${result.error}`);
      case 'failed_transient':
        return this.logger.warn(`${where}: failed (${result.willRetry ? 'will retry' : 'no attempts left'}): ${result.error}`);
      case 'deferred':
        return this.logger.debug(`${where}: deferred ${result.retryInMs} ms, ${DEFER_REASONS[result.reason]}`);
      case 'skipped':
        return this.logger.debug(`${where}: skipped (${result.reason})`);
    }
  }
}

function preview(data: unknown): string {
  const text = typeof data === 'string' ? data : (JSON.stringify(data) ?? String(data));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The consumer controller bound to the configured topic and its dead-letter pattern. */
export function createImageConsumerController(topic: string): Type<ImageConsumer> {
  @Controller()
  // Errors reach the transport as thrown (deferral delay, dead-letter reason), not as "Internal server error".
  @UseFilters(new QueueExceptionFilter())
  class TopicImageConsumer extends ImageConsumer {
    @EventPattern(topic)
    override onImageQueued(@Payload() data: unknown, @Ctx() context: QueueContext): Promise<void> {
      return super.onImageQueued(data, context);
    }

    @EventPattern(deadLetterPattern(topic))
    override onDeadLetter(@Payload() letter: DeadLetter): Promise<void> {
      return super.onDeadLetter(letter);
    }
  }
  return TopicImageConsumer;
}
