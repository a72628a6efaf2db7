import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { loadConfig, logLevelsUpTo, VisageConfig } from '@visage/config';
import { parseJsonBody } from './common/json-body.middleware';
import { ReceiverModule, ReceiverModuleOptions } from './receiver.module';
import { QueueModule, queueReadiness } from '@visage/queue';

export interface ReceiverAppOptions {
  /** Replaces the queue module (tests pass a recording fake that provides QUEUE_CLIENT). */
  queue?: ReceiverModuleOptions['queue'];
  readiness?: ReceiverModuleOptions['readiness'];
  /** Nest logger; default: the levels up to LOG_LEVEL. */
  logger?: LogLevel[] | false;
}

/**
 * Builds the receiver app (not listening yet): `main.ts` and the embedded launcher call this, then
 * `listen`. OpenAPI document at /docs-json, UI at /docs.
 */
export async function createReceiverApp(config: VisageConfig = loadConfig(), options: ReceiverAppOptions = {}): Promise<INestApplication> {
  // The only place the receiver chooses its queue: NSQ or in-process, from the config.
  const queue = options.queue ?? QueueModule.forRoot();
  const readiness = options.readiness ?? (options.queue ? [] : [queueReadiness]);

  const app = await NestFactory.create(ReceiverModule.forRoot({ config, queue, readiness }), {
    // JSON bodies are parsed by parseJsonBody so that their errors get the uniform error JSON.
    bodyParser: false,
    // A failing boot throws to the caller (main logs it and exits 1) instead of aborting the process.
    abortOnError: false,
    logger: options.logger ?? logLevelsUpTo(config.LOG_LEVEL),
  });
  // Responses are small and mostly fresh; hashing each one for an ETag costs more than it saves.
  const express = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
  express.set('etag', false);
  express.set('x-powered-by', false);
  app.use(parseJsonBody);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Visage receiver')
      .setDescription('Ingest image paths for face recognition; read outcomes; manage known people.')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
