import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LOG_LEVELS, loadConfig, VisageConfig } from '@visage/config';
import { parseJsonBody } from './common/json-body.middleware';
import { ReceiverModule, ReceiverModuleOptions } from './receiver.module';
import { UnwiredQueueModule } from './unwired-queue.module';

export interface ReceiverAppOptions {
  /** Replaces the queue module (tests pass a recording fake that provides QUEUE_CLIENT). */
  queue?: ReceiverModuleOptions['queue'];
  readiness?: ReceiverModuleOptions['readiness'];
  /** Nest logger; default: the levels up to LOG_LEVEL. */
  logger?: LogLevel[] | false;
}

/** `LOG_LEVEL=warn` → fatal, error, warn. */
export function logLevelsUpTo(level: VisageConfig['LOG_LEVEL']): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) as LogLevel[];
}

/**
 * Builds the receiver app (not listening yet): `main.ts` and the embedded launcher call this, then
 * `listen`. OpenAPI document at /docs-json, UI at /docs.
 */
export async function createReceiverApp(config: VisageConfig = loadConfig(), options: ReceiverAppOptions = {}): Promise<INestApplication> {
  // ── LEAD: queue wiring ─────────────────────────────────────────────────────────────────────────────
  // Replace UnwiredQueueModule with QueueModule.forRoot() from @visage/queue and append the queue's
  // readiness check to `readiness`. This is the only place the receiver chooses its queue.
  const queue = options.queue ?? UnwiredQueueModule;
  const readiness = options.readiness ?? [];
  // ───────────────────────────────────────────────────────────────────────────────────────────────────

  const app = await NestFactory.create(ReceiverModule.forRoot({ config, queue, readiness }), {
    // JSON bodies are parsed by parseJsonBody so that their errors get the uniform error JSON.
    bodyParser: false,
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
