import { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppOptions, VisageConfig } from '@visage/config';
import { appLogger } from '@visage/observability';
import { QUEUE_CONSUMER } from '@visage/queue';
import { QueueConsumerStrategy } from './image-processor.providers';
import { ImageProcessorModule } from './image-processor.module';

export interface ImageProcessorAppOptions extends AppOptions {
  instanceId?: string;
  /** Default true; tests run RetryJob.runOnce() by hand. */
  scheduleRetryJob?: boolean;
  /** Default true; tests run RematchJob.runOnce() by hand. */
  scheduleRematchJob?: boolean;
}

/** How Nest creates the processor; tests pass the same to `createNestApplication`. */
export function processorNestOptions(config: VisageConfig, options: AppOptions = {}): NestApplicationOptions {
  return { logger: options.logger ?? appLogger(config, 'image-processor'), abortOnError: false };
}

/**
 * The image processor: an HTTP app (health on PROCESSOR_HEALTH_PORT, not yet listening: call
 * `app.listen(config.PROCESSOR_HEALTH_PORT)`) with the queue consumer connected as its microservice and
 * already started. `app.close()` stops the consumer, the retry cron, the re-match job and the breaker's probes.
 * Tests build `ImageProcessorModule` with `Test.createTestingModule(...).overrideProvider(<token>)` and finish it
 * with `startImageProcessorApp`.
 */
export async function createImageProcessorApp(config: VisageConfig, options: ImageProcessorAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(
    ImageProcessorModule.forRoot({
      config,
      instanceId: options.instanceId,
      scheduleRetryJob: options.scheduleRetryJob,
      scheduleRematchJob: options.scheduleRematchJob,
    }),
    processorNestOptions(config, options),
  );
  return startImageProcessorApp(app);
}

/** Connects the consumer as the app's microservice, initialises the app and starts consuming. */
export async function startImageProcessorApp(app: INestApplication): Promise<INestApplication> {
  // The consumer instance the breaker pauses is the one that consumes.
  app.connectMicroservice({ strategy: app.get<QueueConsumerStrategy>(QUEUE_CONSUMER) }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  return app;
}
