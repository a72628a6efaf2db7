import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, LOG_LEVELS, VisageConfig } from '@visage/config';
import { defaultProcessorWiring, ProcessorWiringOverrides } from './image-processor.providers';
import { ImageProcessorModule } from './image-processor.module';

export interface ImageProcessorAppOverrides extends ProcessorWiringOverrides {
  instanceId?: string;
  /** Default true; tests run RetryJob.runOnce() by hand. */
  scheduleRetryJob?: boolean;
  logger?: false | LogLevel[];
}

/** Levels at and above LOG_LEVEL (the list is ordered most to least severe). */
export function logLevelsFrom(level: VisageConfig['LOG_LEVEL']): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) as LogLevel[];
}

/**
 * The image processor: an HTTP app (health on PROCESSOR_HEALTH_PORT, not yet listening: call
 * `app.listen(config.PROCESSOR_HEALTH_PORT)`) with the queue consumer connected as its microservice and
 * already started. `app.close()` stops the consumer, the retry cron and the breaker's probes.
 */
export async function createImageProcessorApp(
  config: VisageConfig = loadConfig(),
  overrides: ImageProcessorAppOverrides = {},
): Promise<INestApplication> {
  const wiring = defaultProcessorWiring(config, overrides);
  const app = await NestFactory.create(
    ImageProcessorModule.forRoot({ config, wiring, instanceId: overrides.instanceId, scheduleRetryJob: overrides.scheduleRetryJob }),
    { logger: overrides.logger ?? logLevelsFrom(config.LOG_LEVEL) },
  );
  app.connectMicroservice({ strategy: wiring.consumer }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  await app.init();
  await app.startAllMicroservices();
  return app;
}
