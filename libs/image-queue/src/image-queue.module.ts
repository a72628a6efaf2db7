import { Global, Module } from '@nestjs/common';
import { ImagePublisher } from './image-publisher';
import { ImageRequeueService } from './image-requeue.service';

/**
 * Putting images on the queue: ingest, manual retry and the retry job all publish through here.
 * Needs the global PersistenceModule (or an ImageRetryRepository provider) and QueueModule.
 */
@Global()
@Module({ providers: [ImagePublisher, ImageRequeueService], exports: [ImagePublisher, ImageRequeueService] })
export class ImageQueueModule {}
