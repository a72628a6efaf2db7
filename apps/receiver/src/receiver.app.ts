import { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { trustProxySetting } from '@visage/auth';
import { AppOptions, ConfigService, VisageConfig } from '@visage/config';
import { appLogger } from '@visage/observability';
import { parseJsonBody } from './common/json-body.middleware';
import { receiverSecurityHeaders } from './common/security-headers.middleware';
import { ReceiverModule } from './receiver.module';
import { describeUploadBodies } from './uploads/upload-body';

export type ReceiverAppOptions = AppOptions;

/** How Nest creates the receiver; tests pass the same to `createNestApplication`. */
export function receiverNestOptions(config: VisageConfig, options: ReceiverAppOptions = {}): NestApplicationOptions {
  return {
    // JSON bodies are parsed by parseJsonBody so that their errors get the uniform error JSON.
    bodyParser: false,
    // A failing boot throws to the caller (main logs it and exits 1) instead of aborting the process.
    abortOnError: false,
    logger: options.logger ?? appLogger(config, 'receiver'),
  };
}

/**
 * Builds the receiver app (not listening yet): `main.ts` and the embedded launcher call this, then
 * `listen`. OpenAPI document at /docs-json, UI at /docs. Tests build `ReceiverModule` with
 * `Test.createTestingModule(...).overrideProvider(QUEUE_CLIENT)` and finish it with `configureReceiverApp`.
 */
export async function createReceiverApp(config: VisageConfig, options: ReceiverAppOptions = {}): Promise<INestApplication> {
  return configureReceiverApp(await NestFactory.create(ReceiverModule.forRoot({ config }), receiverNestOptions(config, options)));
}

/** What the receiver adds to its Nest application: body parsing, Express settings, OpenAPI. */
export function configureReceiverApp(app: INestApplication): INestApplication {
  // Responses are small and mostly fresh; hashing each one for an ETag costs more than it saves.
  const express = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
  express.set('etag', false);
  express.set('x-powered-by', false);
  express.set('trust proxy', trustProxySetting(app.get(ConfigService).values));
  app.use(receiverSecurityHeaders);
  app.use(parseJsonBody);
  const document = describeUploadBodies(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Visage receiver')
        .setDescription('Ingest images (uploaded, or paths under IMAGES_ROOT) for face recognition; read outcomes; manage known people.')
        .setVersion('1')
        .addBearerAuth({
          type: 'http',
          scheme: 'bearer',
          // Nest's default says JWT; the key is an opaque random string.
          bearerFormat: 'API key (vsk_…)',
          description: 'An API key, `vsk_…` (scopes read ⊂ submit ⊂ admin); X-API-Key is accepted too',
        })
        .build(),
    ),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
