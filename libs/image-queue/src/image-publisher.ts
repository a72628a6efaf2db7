import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ConfigService } from '@visage/config';
import { describeError, ImageQueuedEvent, withTimeout } from '@visage/domain';
import { QUEUE_CLIENT } from '@visage/queue';

/** A publish that has not completed by then counts as failed (the queue is down or stuck). */
export const PUBLISH_TIMEOUT_MS = 5000;

/**
 * Announces stored images on the queue topic. A failure is logged and reported as `false`, never thrown:
 * the row is already the source of truth, and the processor's retry job re-publishes stale pending rows.
 */
@Injectable()
export class ImagePublisher {
  private readonly logger = new Logger(ImagePublisher.name);
  private readonly topic: string;

  constructor(
    @Inject(QUEUE_CLIENT) private readonly client: Pick<ClientProxy, 'emit'>,
    config: ConfigService,
  ) {
    this.topic = config.get('QUEUE_TOPIC');
  }

  async publish(imageId: number): Promise<boolean> {
    const event: ImageQueuedEvent = { imageId };
    try {
      await withTimeout(lastValueFrom(this.client.emit(this.topic, event), { defaultValue: undefined }), PUBLISH_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.logger.warn(
        `image ${imageId} is stored but could not be published on "${this.topic}" (${describeError(error)}); the retry job will publish it`,
      );
      return false;
    }
  }
}
