import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, logLevelsUpTo, VisageConfig } from '@visage/config';
import { QUEUE_CONSUMER } from '@visage/queue';
import { defaultProcessorWiring, ProcessorWiringOverrides, QueueConsumerStrategy } from './image-processor.providers';
import { ImageProcessorModule } from './image-processor.module';

export interface ImageProcessorAppOverrides extends ProcessorWiringOverrides {
  instanceId?: string;
  /** Default true; tests run RetryJob.runOnce() by hand. */
  scheduleRetryJob?: boolean;
  /** Default true; tests run RematchJob.runOnce() by hand. */
  scheduleRematchJob?: boolean;
  logger?: false | LogLevel[];
}

/**
 * The image processor: an HTTP app (health on PROCESSOR_HEALTH_PORT, not yet listening: call
 * `app.listen(config.PROCESSOR_HEALTH_PORT)`) with the queue consumer connected as its microservice and
 * already started. `app.close()` stops the consumer, the retry cron, the re-match job and the breaker's probes.
 */
export async function createImageProcessorApp(
  config: VisageConfig = loadConfig(),
  overrides: ImageProcessorAppOverrides = {},
): Promise<INestApplication> {
  const wiring = defaultProcessorWiring(overrides);
  const app = await NestFactory.create(
    ImageProcessorModule.forRoot({
      config,
      wiring,
      instanceId: overrides.instanceId,
      scheduleRetryJob: overrides.scheduleRetryJob,
      scheduleRematchJob: overrides.scheduleRematchJob,
    }),
    { logger: overrides.logger ?? logLevelsUpTo(config.LOG_LEVEL), abortOnError: false },
  );
  // The consumer instance the breaker pauses is the one that consumes.
  app.connectMicroservice({ strategy: app.get<QueueConsumerStrategy>(QUEUE_CONSUMER) }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  await app.init();
  await app.startAllMicroservices();
  return app;
}
