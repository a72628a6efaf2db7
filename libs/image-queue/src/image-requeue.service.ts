import { Injectable } from '@nestjs/common';
import { ImageRetryRepository, RequeueResult } from '@visage/persistence';
import { ImagePublisher } from './image-publisher';

/**
 * The one "retry this image" path, shared by the receiver's `POST /images/:id/retry` and the dashboard
 * (through the receiver): a failed image, even a permanent failure (the user may have replaced the
 * file), gets fresh attempts, becomes `pending` and is published. A failed publish leaves it `pending`
 * for the retry job's stale-pending sweep, so nothing is lost.
 */
@Injectable()
export class ImageRequeueService {
  constructor(
    private readonly repository: ImageRetryRepository,
    private readonly publisher: ImagePublisher,
  ) {}

  async retryImage(imageId: number): Promise<RequeueResult> {
    const result = await this.repository.requeueForRetry(imageId);
    if (result === 'requeued') await this.publisher.publish(imageId);
    return result;
  }
}
