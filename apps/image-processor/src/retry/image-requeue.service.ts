import { Inject, Injectable } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { ConfigService } from '@visage/config';
import { ImageQueuedEvent } from '@visage/domain';
import { ImageProcessingRepository, QUEUE_CLIENT, QueuePublisher, RequeueResult } from '../image-processor.providers';

/**
 * The one "requeue an image" path: the retry job publishes through it, and the receiver's
 * `POST /images/:id/retry` should call {@link ImageRequeueService.retryImage} so both behave the same.
 * Needs only the repository, QUEUE_CLIENT and ConfigService (QUEUE_TOPIC), so any app can provide it.
 */
@Injectable()
export class ImageRequeueService {
  constructor(
    private readonly repository: ImageProcessingRepository,
    @Inject(QUEUE_CLIENT) private readonly queue: QueuePublisher,
    private readonly config: ConfigService,
  ) {}

  /**
   * Manual retry: a failed (even permanently failed) or pending image gets fresh attempts and is published.
   * `not_found` → 404, `already_done` / `busy` → 409 for the HTTP caller. If the publish fails the image
   * is still `pending`, and the retry job's stale-pending sweep publishes it later: nothing is lost.
   */
  async retryImage(imageId: number): Promise<RequeueResult> {
    const result = await this.repository.requeueForRetry(imageId);
    if (result === 'requeued') await this.publish(imageId);
    return result;
  }

  /** Publishes `{imageId}` on the images topic (the row must already be `pending`). */
  async publish(imageId: number): Promise<void> {
    const event: ImageQueuedEvent = { imageId };
    await lastValueFrom(this.queue.emit(this.config.get('QUEUE_TOPIC'), event), { defaultValue: undefined });
  }
}
