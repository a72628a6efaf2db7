import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteEntry, routeAccessTable } from '@visage/access';
import { parseConfig, VisageConfig } from '@visage/config';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../../apps/face-recognition/src';
import { createFrontendApp } from '../../apps/frontend/src';
import { ImageProcessorModule } from '../../apps/image-processor/src';
import { startReceiver, ReceiverHarness } from '../../apps/receiver/test/receiver-harness';
import { SQLITE_DRIVER, TestDatabase } from '../../libs/persistence/test/test-databases';
import { TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';

const line = (route: RouteEntry) => `${route.method} ${route.path} ${route.access ?? 'UNDECLARED'}`;

/**
 * Every route every app registers, with the scope it declares. A new route without `@Scope` / `@Public` fails
 * here; a changed scope changes the table below, so it is a reviewed decision.
 */
describe('route table', () => {
  let database: TestDatabase;
  let config: VisageConfig;
  let receiver: ReceiverHarness;
  const apps: Record<string, INestApplicationContext> = {};
  let recognizer: FaceRecognitionApp;

  beforeAll(async () => {
    database = await SQLITE_DRIVER.create('visage-routes');
    config = parseConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'error', ...TEST_AUTH_ENV });
    receiver = await startReceiver(SQLITE_DRIVER);
    apps.receiver = receiver.app;
    apps.frontend = await createFrontendApp(config, { logger: false });
    apps['image-processor'] = await Test.createTestingModule({
      imports: [ImageProcessorModule.forRoot({ config, scheduleRetryJob: false })],
    }).compile();
    recognizer = await createFaceRecognitionApp(config);
    apps['face-recognition'] = recognizer.nest;
  });
  afterAll(async () => {
    await receiver?.close();
    for (const name of ['frontend', 'image-processor', 'face-recognition'])
      await (apps[name] as { close?: () => Promise<void> } | undefined)?.close?.();
    await database?.drop();
  });

  it('declares a scope or @Public() on every route of every app', () => {
    for (const [name, app] of Object.entries(apps)) {
      const undeclared = routeAccessTable(app).filter((route) => route.access === undefined);
      expect(undeclared.map((route) => `${name}: ${route.method} ${route.path} (${route.handler})`)).toEqual([]);
    }
  });

  it('keeps only health and metrics public on the processor and the recognizer', () => {
    for (const name of ['image-processor', 'face-recognition']) {
      const table = routeAccessTable(apps[name]!);
      expect(table.length).toBeGreaterThan(0);
      for (const route of table) expect(line(route)).toMatch(/^GET \/(health\/(live|ready)|metrics) public$/);
    }
  });

  it('gives the receiver and the dashboard exactly these scopes', () => {
    expect(routeAccessTable(apps.receiver!).map(line).sort()).toEqual(
      [
        'GET /health/live public',
        'GET /health/ready public',
        'GET /metrics public',
        'POST /image/post submit',
        'POST /images/post submit',
        'POST /images submit',
        'GET /images read',
        'GET /images/counts read',
        'GET /descriptors read',
        'GET /images/:id read',
        'POST /images/:id/retry submit',
        'DELETE /images/:id admin',
        'GET /persons read',
        'POST /persons admin',
        'GET /persons/:id read',
        'PATCH /persons/:id admin',
        'GET /persons/:id/images read',
        'POST /persons/:id/faces admin',
        'POST /known-faces/rescan admin',
        'POST /persons/:id/merge admin',
        'DELETE /persons/:id admin',
        'DELETE /known-faces/forgotten admin',
        'POST /faces/:id/assign admin',
        'POST /faces/:id/reject admin',
        'GET /faces/:id/crop read',
        'GET /clusters read',
        'GET /clusters/:id read',
        'POST /clusters/:id/name admin',
        'POST /clusters/:id/ignore admin',
        'DELETE /clusters/:id/faces/:faceId admin',
        'POST /keys admin',
        'GET /keys admin',
        'DELETE /keys/:id admin',
        'GET /sessions admin',
        'DELETE /sessions/:id admin',
        'GET /audit admin',
      ].sort(),
    );
    expect(routeAccessTable(apps.frontend!).map(line).sort()).toEqual(
      [
        'GET /health/live public',
        'GET /health/ready public',
        'GET /metrics public',
        'GET /login public',
        'POST /login public',
        'POST /logout read',
        'GET / read',
        'GET /images/:id read',
        'POST /images/:id/retry admin',
        'POST /upload submit',
        'GET /api/images/changes read',
        'GET /api/images/:id read',
        'GET /persons read',
        'POST /persons admin',
        'POST /persons/:id/photo admin',
        'POST /persons/:id/faces admin',
        'POST /persons/:id/merge admin',
        'GET /thumbnails read',
        'GET /unknown read',
        'GET /faces/:id/crop read',
        'POST /unknown/:id/name admin',
        'POST /unknown/:id/ignore admin',
        'POST /unknown/:id/faces/:faceId/remove admin',
        'POST /faces/:id/assign admin',
        'POST /faces/:id/reject admin',
      ].sort(),
    );
  });
});
